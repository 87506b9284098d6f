// The resolved configuration every module reads. The schema in schema.ts validates a YAML file + environment +
// flags into exactly this shape (defaults filled in); README "Configuration" documents every key.
import type { LdapAttributeMap, LdapSchemaName } from './ldap-presets.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** Directory for SQLite files and generated state; created if missing. */
  dataDir: string;
  server: {
    /** DNS name clients use for this server (NTLM DnsComputerName, towers, later Autodiscover). */
    hostname: string;
    /** NetBIOS computer name (NTLM NbComputerName), at most 15 characters. */
    netbiosName: string;
    /** NetBIOS domain name (NTLM target / NbDomainName). */
    domain: string;
    /** DNS domain name (NTLM DnsDomainName). */
    dnsDomain: string;
    /** Exchange organization name used in legacyExchangeDNs (/o=...). */
    organization: string;
    /** Exchange administrative group used in legacyExchangeDNs (/ou=...). */
    administrativeGroup: string;
  };
  log: {
    level: LogLevel;
    /** File path to log to; empty = stdout. */
    file: string;
  };
  rpc: {
    /** Address the RPC listeners bind to. */
    listen: string;
    /** ncacn_ip_tcp port serving EMSMDB, AsyncEMSMDB, NSPI, RFR, epmapper and mgmt; 0 = ephemeral. */
    port: number;
    /** Endpoint mapper port (135 on Windows); -1 disables the separate listener; 0 = ephemeral. */
    epmPort: number;
    /** IPv4 address put into endpoint-mapper towers; empty = the local address the client connected to. */
    advertiseAddress: string;
    /** ncacn_http endpoint ports advertised in towers (RPC over HTTP virtual ports). */
    httpPorts: { emsmdb: number; nspi: number; rfr: number };
    /** Largest fragment we accept or send (bytes, 1432..65535); a client's smaller max is honoured. */
    maxFragmentSize: number;
    /** Largest reassembled request stub (bytes) and the largest alloc_hint honoured. */
    maxRequestSize: number;
    /** Most simultaneous RPC connections (all listeners). */
    maxConnections: number;
    /** Close an RPC connection idle for this many seconds (0 = never). */
    idleTimeoutSeconds: number;
    /** Most association groups kept per server. */
    maxAssociationGroups: number;
  };
  auth: {
    /** Accept NTLMv1 responses when extended session security is used (never plain NTLMv1/LM). */
    allowNtlmV1: boolean;
    /** Largest accepted difference between the client's NTLMv2 timestamp and our clock (seconds, 0 = no check). */
    maxClockSkewSeconds: number;
  };
  emsmdb: {
    /** Oldest client version allowed ("12.0.0.0"); older clients get ecVersionMismatch. */
    minClientVersion: string;
    /** Refuse EcDoConnectEx below PKT_PRIVACY (ecNotEncrypted). */
    requireEncryption: boolean;
    maxSessionsPerUser: number;
    maxObjectsPerSession: number;
    sessionIdleSeconds: number;
    asyncWaitSeconds: number;
    /** Bytes of a FastTransfer download stream produced ahead of the client (0: none). */
    fastTransferReadAhead: number;
    fastTransferCompressAhead: boolean;
  };
  store: {
    /** Mailbox backend; `local` = embedded SQLite, one file per mailbox in dataDir/mailboxes; `imap` = the same, mail folders mirrored from imap.*. */
    backend: 'local' | 'imap';
    /** IDs/CNs fetched from the index per round trip. */
    idBatch: number;
    /** SQLite page cache (KiB) of each open mailbox file and of the SQLite index. */
    sqliteCacheKb: number;
  };
  index: {
    /** Where IDs, change numbers, named properties and backend item mappings live. */
    provider: 'sqlite' | 'mysql';
    mysql: {
      /** mysql://user:password@host:port/database; wins over the separate keys when set. */
      url: string;
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      poolSize: number;
      connectTimeoutSeconds: number;
      queryTimeoutSeconds: number;
      /** Waiting requests beyond which an index call fails at once; 0 = no limit. */
      queueLimit: number;
      /** Wait for a free connection; 0 = connectTimeoutSeconds. */
      acquireTimeoutSeconds: number;
      maxRetries: number;
      /** innodb_lock_wait_timeout per session; 0 = the server's. */
      lockWaitTimeoutSeconds: number;
      schemaLockTimeoutSeconds: number;
    };
  };
  directory: {
    /** Directory provider: the built-in SQLite directory, or an LDAP server (read-only, indexed in memory). */
    provider: 'builtin' | 'ldap';
    /** Create a demo user when the built-in directory has no users (npm start on a fresh machine). */
    demoUser: boolean;
    ldap: LdapConfig;
  };
  /** The HTTPS front door (src/web): one TLS listener (+ optional plain HTTP) for RPC over HTTP and the routes. */
  http: {
    enabled: boolean;
    listen: string;
    /** HTTPS port (0 = ephemeral). */
    port: number;
    /** Plain-HTTP port behind a TLS-terminating proxy; -1 = off, 0 = ephemeral. */
    plainPort: number;
    /** Plain-port requests count as secure; X-Forwarded-For names the client. */
    trustProxy: boolean;
    /** PEM certificate and key; both empty = self-signed, generated into dataDir/tls. */
    certFile: string;
    keyFile: string;
    /** Extra certificate host names, comma-separated. */
    hostnames: string;
    /** Accept TLS 1.0/1.1 and older ciphers. */
    legacyTls: boolean;
    /** Offered schemes in order, comma-separated: negotiate, ntlm, basic. */
    authSchemes: string;
    allowBasicOverHttp: boolean;
    maxHeadBytes: number;
    maxHeaders: number;
    headTimeoutSeconds: number;
    idleTimeoutSeconds: number;
    maxConnections: number;
    maxAuthFailuresPerAddress: number;
    maxAuthFailuresPerUser: number;
    authFailureWindowSeconds: number;
    /** RPC over HTTP OUT channel framing: raw (Content-Length, Windows) or chunked (HTTP/1.1 requests only). */
    rpcOutChannel: 'raw' | 'chunked';
  };
  /** Autodiscover (MS-OXDSCLI POX) at /autodiscover/autodiscover.xml on the HTTPS front door. */
  autodiscover: {
    /** Serve /autodiscover/autodiscover.xml. */
    enabled: boolean;
    /** Host name Outlook reaches the RPC proxy under from outside (EXPR Server); empty = server.hostname. */
    externalHostname: string;
    /** HTTP authentication Outlook uses with the RPC proxy (EXPR AuthPackage). */
    httpAuthPackage: 'ntlm' | 'basic' | 'negotiate';
    /** RPC authentication Outlook uses for direct RPC/TCP (EXCH AuthPackage). */
    rpcAuthPackage: 'ntlm' | 'negotiate';
    /** EXPR ServerExclusiveConnect: Outlook connects over HTTP first, also on fast networks. */
    preferHttp: boolean;
    /** EXPR CertPrincipalName (e.g. msstd:mail.example.com); empty = not sent. */
    certPrincipalName: string;
    /** EWS URL (ASUrl, EwsUrl, OOFUrl); empty = not sent. */
    ewsUrl: string;
    /** Offline address book URL (OABUrl); empty = not sent. */
    oabUrl: string;
    /** EmwsUrl; empty = not sent. */
    emwsUrl: string;
    /** Outlook Web App URL (WEB OWAUrl); empty = not sent. */
    owaUrl: string;
    /** "from.example=to.example,..." SMTP domains answered with redirectAddr to the same local part at `to`. */
    redirectDomains: string;
    /** DeploymentId GUID; empty = derived from server.organization. */
    deploymentId: string;
  };
  /** Outgoing mail to external recipients (src/transport, docs/sending.md); host empty = no relay. */
  smtp: {
    /** Relay host; empty = external recipients get a non-delivery report ("no relay configured"). */
    host: string;
    port: number;
    /** none (plain, STARTTLS when offered), starttls (required), tls (TLS from the first byte, port 465). */
    security: 'none' | 'starttls' | 'tls';
    /** Accept any relay certificate (self-signed test relays). */
    allowInvalidCertificates: boolean;
    /** PEM file of the CAs trusted for the relay's certificate; '' = Node's built-in list. */
    caFile: string;
    /** AUTH user; empty = no authentication. */
    user: string;
    password: string;
    /** EHLO name; empty = server.hostname. */
    heloName: string;
    /** Connection, greeting and socket time limit. */
    timeoutSeconds: number;
    /** Send to external recipients at all (false: they get a non-delivery report). */
    allowExternal: boolean;
    /** Largest message a user may submit, in KiB of its PidTagMessageSize; 0 = no limit. */
    maxSendSizeKb: number;
  };
  imap: ImapConfig;
}

/** The IMAP server holding the mail and how the server logs in there for a user (docs/imap.md). */
export interface ImapConfig {
  host: string;
  port: number;
  security: 'none' | 'starttls' | 'tls';
  allowInvalidCertificates: boolean;
  /** master: `user<sep>master` + master password; trusted: any password; passwordFile: per-user file; userPassword: HTTP Basic's. */
  auth: 'master' | 'trusted' | 'passwordFile' | 'userPassword';
  /** The IMAP login (and ACL identifier) of a user: `%u` = the directory username. */
  loginName: string;
  masterUser: string;
  masterPassword: string;
  masterPasswordFile: string;
  masterSeparator: string;
  masterLogin: 'separator' | 'authzid';
  trustedPassword: string;
  passwordFile: string;
  /** PEM file of the CAs trusted for the IMAP server's certificate; '' = Node's built-in list. */
  caFile: string;
  /** userPassword mode: seconds a user's HTTP Basic password is kept after the last Basic sign-in (memory only). */
  userPasswordSeconds: number;
  maxConnectionsPerUser: number;
  idleSeconds: number;
  timeoutSeconds: number;
  /** Seconds between syncs of every mirrored folder while a mailbox is open. */
  syncIntervalSeconds: number;
  /** Seconds a logon that opens the mailbox waits for the mail folders' sync after the hierarchy (the rest goes on in the background). */
  logonSyncSeconds: number;
  /** One connection per open mailbox IDLEs on INBOX for immediate change pickup. */
  idle: boolean;
  /** The IDLE connection also sets RFC 5465 NOTIFY for every other personal mailbox (when the server has NOTIFY). */
  notify: boolean;
  /** Bytes of messages (RFC822.SIZE) one UID FETCH of the mirror brings at most (a larger message comes alone). */
  fetchBatchBytes: number;
  /** Outlook's "mailbox almost full" level (PidTagStorageQuotaLimit) as a percentage of the IMAP STORAGE quota. */
  quotaWarningPercent: number;
  /** Where sending stops (PidTagProhibitSendQuota) as a percentage of the IMAP STORAGE quota. */
  quotaSendPercent: number;
}

/** The LDAP provider's settings; filters and attribute names are filled in from the preset of `schema`. */
export interface LdapConfig {
  /** ldap://host[:port] or ldaps://host[:port]; required when the provider is ldap. */
  url: string;
  schema: LdapSchemaName;
  /** DN to bind as for reading the directory; empty = anonymous. */
  bindDn: string;
  bindPassword: string;
  /** File holding the bind password (first line); an alternative to bindPassword. */
  bindPasswordFile: string;
  baseDn: string;
  userFilter: string;
  groupFilter: string;
  /** Empty = no contacts. */
  contactFilter: string;
  scope: 'sub' | 'one';
  pageSize: number;
  refreshSeconds: number;
  timeoutSeconds: number;
  tls: {
    /** PEM file with the CA certificate(s) to trust; empty = the system's. */
    caFile: string;
    rejectUnauthorized: boolean;
    /** Upgrade an ldap:// connection with StartTLS. */
    startTls: boolean;
  };
  attributes: LdapAttributeMap;
}
