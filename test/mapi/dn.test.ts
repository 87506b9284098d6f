// src/mapi/dn.ts: the DNs built from config.server and the comparisons on them.
import { describe, expect, it } from 'vitest';
import {
  isServerDnShape,
  isUnderDn,
  mailboxStoreDn,
  namesServer,
  parseDn,
  publicStoreDn,
  recipientDn,
  sameDn,
  serverDn,
  serverDnOf,
} from '../../src/mapi/dn.js';

const SERVER = {
  organization: 'First Organization',
  administrativeGroup: 'Exchange Administrative Group (FYDIBOHF23SPDLT)',
  netbiosName: 'EXCH01',
};
const SDN = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01';

describe('Exchange DNs', () => {
  it('builds the server, store and recipient DNs', () => {
    expect(serverDn(SERVER)).toBe(SDN);
    expect(mailboxStoreDn(SERVER)).toBe(`${SDN}/cn=Microsoft Private MDB`);
    expect(mailboxStoreDn(SDN)).toBe(`${SDN}/cn=Microsoft Private MDB`);
    expect(publicStoreDn(SDN)).toBe(`${SDN}/cn=Microsoft Public MDB`);
    expect(recipientDn(SERVER, 'alice')).toBe('/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice');
  });
  it('parses DNs, refusing what is not one', () => {
    expect(parseDn('/o=A/ou=B (C)/cn=x=y')).toEqual([
      { type: 'o', value: 'A' },
      { type: 'ou', value: 'B (C)' },
      { type: 'cn', value: 'x=y' },
    ]);
    for (const bad of ['', '/', 'o=A', '/o=A//cn=B', '/=A', '/o1=A', '/oA']) expect(parseDn(bad), bad).toBeNull();
  });
  it('compares case-insensitively', () => {
    expect(sameDn(SDN.toUpperCase(), SDN)).toBe(true);
    expect(isUnderDn(SDN, '/O=first organization')).toBe(true);
    expect(isUnderDn('/o=First Organizationx', '/o=First Organization')).toBe(false);
  });
  it('a store DN names its server', () => {
    expect(serverDnOf(`${SDN}/CN=Microsoft Private MDB`)).toBe(SDN);
    expect(namesServer(`${SDN.toLowerCase()}/cn=microsoft public mdb`, SDN)).toBe(true);
    expect(namesServer(SDN.replace('EXCH01', 'EXCH02'), SDN)).toBe(false);
  });
  it('knows the shape of a server DN (MS-OXABREF 3.1.4.2: 5 or 6 elements)', () => {
    expect(isServerDnShape(SDN)).toBe(true);
    expect(isServerDnShape(SDN.replace('/cn=EXCH01', '/cn=Instance/cn=EXCH01'))).toBe(true);
    expect(isServerDnShape(`${SDN}/cn=Microsoft Private MDB`)).toBe(true);
    expect(isServerDnShape('/o=First Organization/ou=X/cn=Recipients/cn=alice')).toBe(false);
    expect(isServerDnShape('not a dn at all')).toBe(false);
  });
});
