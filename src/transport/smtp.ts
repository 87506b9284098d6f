// Sending a finished MIME message to an SMTP relay with nodemailer (issue 6 item 3). One nodemailer transport per
// send (no pool): submissions are rare next to everything else the server does, and a fresh connection picks up a
// relay that came back. The envelope is given explicitly (MAIL FROM = the sender's SMTP address, RCPT TO = the
// external recipients, Bcc included), the message is sent as the raw bytes src/transport/mime.ts wrote.
// nodemailer is imported at the first send, not at start: a server without an SMTP relay never loads it (~15 MB).
import { readPemCertificates } from '../util/pem.js';
import type { SmtpSettings } from './types.js';

export interface SmtpResult {
  /** Recipients the relay accepted. */
  accepted: string[];
  /** Recipients it refused, with its reply. */
  rejected: { address: string; reason: string }[];
}

/** What sends a raw message (the nodemailer relay below; tests may pass another). */
export type SmtpSend = (envelope: { from: string; to: string[] }, raw: Buffer) => Promise<SmtpResult>;

/** A sender through the configured relay; a connection or protocol failure rejects (every recipient failed). */
export function nodemailerSender(s: SmtpSettings, defaultHelo: string): SmtpSend {
  // read now (server start): a missing or wrong smtp.caFile stops the start-up naming the key
  const ca = s.caFile ? readPemCertificates(s.caFile, 'smtp.caFile') : null;
  return async (envelope, raw) => {
    const ms = s.timeoutSeconds * 1000;
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.security === 'tls',
      requireTLS: s.security === 'starttls',
      name: s.heloName || defaultHelo,
      auth: s.user ? { user: s.user, pass: s.password } : undefined,
      // `none` is opportunistic TLS (RFC 7435, as between MTAs): a STARTTLS the relay offers is used without checking
      // its certificate, which on a stock relay is self-signed (Debian's Postfix snakeoil); `starttls` and `tls` check it
      tls: { rejectUnauthorized: s.security !== 'none' && !s.allowInvalidCertificates, ...(ca ? { ca } : {}) },
      connectionTimeout: ms,
      greetingTimeout: ms,
      socketTimeout: ms,
      dnsTimeout: ms,
    });
    try {
      const info = await transport.sendMail({ envelope, raw });
      const accepted = (info.accepted ?? []).map(addr);
      const rejErrors = (info as { rejectedErrors?: { recipient?: string; response?: string; message?: string }[] }).rejectedErrors ?? [];
      const rejected = (info.rejected ?? []).map((a) => {
        const address = addr(a);
        const e = rejErrors.find((x) => x.recipient?.toLowerCase() === address.toLowerCase());
        return { address, reason: e?.response ?? e?.message ?? 'rejected by the relay' };
      });
      return { accepted, rejected };
    } finally {
      transport.close();
    }
  };
}

const addr = (a: unknown): string => (typeof a === 'string' ? a : String((a as { address?: string }).address ?? ''));
