import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorResponse, redirectAddrResponse, settingsResponse } from '../../src/autodiscover/response.js';
import { autodiscoverSettings, deploymentIdOf, parseRedirectDomains, serverVersionHex } from '../../src/autodiscover/settings.js';
import { childrenNamed, escapeXml, parseXml } from '../../src/autodiscover/xml.js';
import { configSchema } from '../../src/config/schema.js';
import { SERVER_VERSION } from '../../src/emsmdb/emsmdb.js';
import { protocolsOf } from './harness.js';

const config = configSchema.parse({
  server: { hostname: 'exch01.example.com', organization: 'Example Org', administrativeGroup: 'AG' },
  autodiscover: { externalHostname: 'mail.example.com', ewsUrl: 'https://mail.example.com/EWS/Exchange.asmx', certPrincipalName: 'msstd:mail.example.com' },
});

describe('Autodiscover settings', () => {
  it('encodes ServerVersion as MS-OXDSCLI lays it out', () => {
    expect(serverVersionHex([14, 1, 218])).toBe('738180DA'); // Exchange 2010 SP1, the documented example
    expect(serverVersionHex([8, 0, 685])).toBe('720082AD'); // Exchange 2007 RTM
    expect(serverVersionHex(SERVER_VERSION)).toBe('7383807B'); // what EcDoConnectEx reports: 14.3.123
  });

  it('derives a stable GUID-shaped DeploymentId from the organization', () => {
    const id = deploymentIdOf('Example Org');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deploymentIdOf('example org')).toBe(id);
    expect(deploymentIdOf('Other')).not.toBe(id);
    const fixed = configSchema.parse({ autodiscover: { deploymentId: 'ABCDEF01-2345-6789-ABCD-EF0123456789' } });
    expect(autodiscoverSettings(fixed).deploymentId).toBe('abcdef01-2345-6789-abcd-ef0123456789');
  });

  it('parses the redirect table', () => {
    expect([...parseRedirectDomains('Old.Example=example.com, b.test = example.com,,x=x,bad')]).toEqual([
      ['old.example', 'example.com'],
      ['b.test', 'example.com'],
    ]);
    expect(configSchema.safeParse({ autodiscover: { redirectDomains: 'a=b,c' } }).success).toBe(false);
    expect(configSchema.safeParse({ autodiscover: { ewsUrl: 'ftp://x' } }).success).toBe(false);
    expect(configSchema.safeParse({ autodiscover: { httpAuthPackage: 'kerb' } }).success).toBe(false);
  });

  it('builds DNs as NSPI and EMSMDB do', () => {
    const s = autodiscoverSettings(config, { rpcPort: 6100 });
    expect(s.serverDN).toBe('/o=Example Org/ou=AG/cn=Configuration/cn=Servers/cn=EXCH01');
    expect(s.mdbDN).toBe('/o=Example Org/ou=AG/cn=Configuration/cn=Servers/cn=EXCH01/cn=Microsoft Private MDB');
    expect(s.mailboxServer).toBe('exch01.example.com');
    expect(s.proxyServer).toBe('mail.example.com');
    expect(autodiscoverSettings(configSchema.parse({ server: { hostname: 'h.example' } })).proxyServer).toBe('h.example');
    expect(autodiscoverSettings(config, { rpcPort: 0 }).rpcPort).toBeNull();
  });
});

describe('Autodiscover responses', () => {
  const user = { displayName: 'Alice <A&B> "Smith"', legacyDN: '/o=Example Org/ou=AG/cn=Recipients/cn=alice', smtpAddress: 'alice@example.com' };

  it('answers with User, Account, EXCH, EXPR and WEB in the outlook schema', () => {
    const s = autodiscoverSettings(config, { rpcPort: 6100 });
    const xml = settingsResponse(s, user);
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
    const root = parseXml(xml);
    expect(root.name).toBe('Autodiscover');
    expect(root.attributes.get('xmlns')).toBe('http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006');
    const response = childrenNamed(root, 'Response')[0]!;
    expect(response.attributes.get('xmlns')).toBe('http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a');
    const u = Object.fromEntries(childrenNamed(response, 'User')[0]!.children.map((c) => [c.name, c.text]));
    expect(u).toEqual({
      DisplayName: user.displayName,
      LegacyDN: user.legacyDN,
      AutoDiscoverSMTPAddress: 'alice@example.com',
      DeploymentId: deploymentIdOf('Example Org'),
    });
    const account = childrenNamed(response, 'Account')[0]!;
    expect(childrenNamed(account, 'AccountType')[0]!.text).toBe('email');
    expect(childrenNamed(account, 'Action')[0]!.text).toBe('settings');
    const p = protocolsOf(account);
    expect(Object.keys(p)).toEqual(['EXCH', 'EXPR', 'WEB']);
    expect(p.EXCH).toEqual({
      Type: 'EXCH',
      Server: 'exch01.example.com',
      ServerDN: s.serverDN,
      ServerVersion: '7383807B',
      MdbDN: s.mdbDN,
      PublicFolderServer: 'exch01.example.com',
      Port: '6100',
      DirectoryPort: '6100',
      ReferralPort: '6100',
      ASUrl: 'https://mail.example.com/EWS/Exchange.asmx',
      EwsUrl: 'https://mail.example.com/EWS/Exchange.asmx',
      OOFUrl: 'https://mail.example.com/EWS/Exchange.asmx',
      AuthPackage: 'Ntlm',
    });
    expect(p.EXPR).toEqual({
      Type: 'EXPR',
      Server: 'mail.example.com',
      ASUrl: 'https://mail.example.com/EWS/Exchange.asmx',
      EwsUrl: 'https://mail.example.com/EWS/Exchange.asmx',
      OOFUrl: 'https://mail.example.com/EWS/Exchange.asmx',
      SSL: 'On',
      AuthPackage: 'Ntlm',
      ServerExclusiveConnect: 'On',
      CertPrincipalName: 'msstd:mail.example.com',
    });
    const web = childrenNamed(account, 'Protocol')[2]!;
    expect(childrenNamed(web, 'External')[0]!.children[0]!.children.map((c) => c.text)).toEqual(['EXPR', 'https://mail.example.com/EWS/Exchange.asmx']);
    expect(childrenNamed(web, 'Internal')[0]!.children[0]!.children.map((c) => c.text)).toEqual(['EXCH', 'https://mail.example.com/EWS/Exchange.asmx']);
  });

  it('leaves out what is not configured and follows the knobs', () => {
    const bare = configSchema.parse({
      server: { hostname: 'exch01.example.com' },
      autodiscover: { httpAuthPackage: 'basic', rpcAuthPackage: 'negotiate', preferHttp: false, owaUrl: 'https://mail.example.com/owa/', oabUrl: 'https://mail.example.com/OAB/x/' },
    });
    const root = parseXml(settingsResponse(autodiscoverSettings(bare), user));
    const account = childrenNamed(childrenNamed(root, 'Response')[0]!, 'Account')[0]!;
    const p = protocolsOf(account);
    expect(p.EXCH!.AuthPackage).toBe('Negotiate');
    expect(p.EXCH!.OABUrl).toBe('https://mail.example.com/OAB/x/');
    for (const k of ['Port', 'EwsUrl', 'ASUrl', 'OOFUrl', 'EmwsUrl']) expect(p.EXCH![k]).toBeUndefined();
    expect(p.EXPR).toMatchObject({ Server: 'exch01.example.com', AuthPackage: 'Basic', ServerExclusiveConnect: 'Off', SSL: 'On' });
    expect(p.EXPR!.CertPrincipalName).toBeUndefined();
    const owa = childrenNamed(childrenNamed(account, 'Protocol')[2]!, 'External')[0]!.children[0]!;
    expect(owa.name).toBe('OWAUrl');
    expect(owa.attributes.get('AuthenticationMethod')).toBe('Basic');
    // neither OWA nor EWS: no WEB element at all
    const none = parseXml(settingsResponse(autodiscoverSettings(configSchema.parse({})), user));
    expect(Object.keys(protocolsOf(childrenNamed(childrenNamed(none, 'Response')[0]!, 'Account')[0]!))).toEqual(['EXCH', 'EXPR']);
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    const xml = settingsResponse(autodiscoverSettings(config), { ...user, displayName: 'x\u0001y</DisplayName><Evil/>' });
    expect(xml).not.toContain('<Evil/>');
    const root = parseXml(xml);
    const u = childrenNamed(childrenNamed(root, 'Response')[0]!, 'User')[0]!;
    expect(childrenNamed(u, 'DisplayName')[0]!.text).toBe('x\uFFFDy</DisplayName><Evil/>');
  });

  it('emits well-formed XML whatever the directory holds (fast-check)', () => {
    const s = autodiscoverSettings(config);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 60 }), (name, dn) => {
        const root = parseXml(settingsResponse(s, { displayName: name, legacyDN: dn, smtpAddress: 'a@b' }));
        const u = childrenNamed(childrenNamed(root, 'Response')[0]!, 'User')[0]!;
        const clean = (x: string) => parseXml(`<a>${escapeXml(x)}</a>`).text;
        expect(childrenNamed(u, 'DisplayName')[0]!.text).toBe(clean(name));
        expect(childrenNamed(u, 'LegacyDN')[0]!.text).toBe(clean(dn));
        if (!/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/.test(name)) expect(clean(name)).toBe(name);
      }),
      { numRuns: 500 },
    );
  });

  it('answers redirectAddr', () => {
    const root = parseXml(redirectAddrResponse('alice@example.com'));
    const account = childrenNamed(childrenNamed(root, 'Response')[0]!, 'Account')[0]!;
    expect(account.children.map((c) => [c.name, c.text])).toEqual([
      ['AccountType', 'email'],
      ['Action', 'redirectAddr'],
      ['RedirectAddr', 'alice@example.com'],
    ]);
  });

  it('builds the MS-OXDSCLI error response', () => {
    const xml = errorResponse(500, { id: '2477272013', now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) });
    const root = parseXml(xml);
    expect(root.attributes.get('xmlns')).toBe('http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006');
    const response = childrenNamed(root, 'Response')[0]!;
    expect(response.attributes.has('xmlns')).toBe(false); // Response and Error stay in the base namespace
    const error = childrenNamed(response, 'Error')[0]!;
    expect(error.attributes.get('Time')).toBe('03:04:05.6780000');
    expect(error.attributes.get('Id')).toBe('2477272013');
    expect(error.children.map((c) => [c.name, c.text])).toEqual([
      ['ErrorCode', '500'],
      ['Message', 'The e-mail address cannot be found.'],
      ['DebugData', ''],
    ]);
    expect(childrenNamed(childrenNamed(childrenNamed(parseXml(errorResponse(600, { id: '1' })), 'Response')[0]!, 'Error')[0]!, 'Message')[0]!.text).toBe(
      'Invalid Request',
    );
  });
});
