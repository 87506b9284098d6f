// An in-memory Directory for the address book model's tests: the interface of src/directory/types.ts over plain
// arrays, a generation counter that moves on every change, and counters of the calls the model makes.
import { DirectoryError } from '../../../src/directory/errors.js';
import type {
  Directory,
  DirectoryContact,
  DirectoryGroup,
  DirectoryUser,
  PersonAttributes,
  UserSelfService,
} from '../../../src/directory/types.js';
import { AddressBook, type AddressBookOptions } from '../../../src/nsp/ab/addressbook.js';
import { nspiBind } from '../../../src/nsp/ab/ops-session.js';
import { newStat, type Stat } from '../../../src/nsp/ab/position.js';
import type { NspiSession } from '../../../src/nsp/ab/session.js';

export const ORG = '/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)';
export const dnOf = (name: string) => `${ORG}/cn=Recipients/cn=${name}`;
export const SERVER_DN = `${ORG}/cn=Configuration/cn=Servers/cn=EXCH01`;
export const STORE_DN = `${SERVER_DN}/cn=Microsoft Private MDB`;

export class FakeDirectory implements Directory {
  users: DirectoryUser[] = [];
  groups: DirectoryGroup[] = [];
  contacts: DirectoryContact[] = [];
  self = new Map<string, UserSelfService>();
  gen = 1;
  readOnly = false;
  calls = { generation: 0, listUsers: 0, getSelfService: 0, setCertificates: 0, setDelegates: 0 };
  private nextId = 1;

  addUser(username: string, displayName: string, attributes: PersonAttributes = {}, extra: Partial<DirectoryUser> = {}): DirectoryUser {
    const u: DirectoryUser = {
      id: this.nextId++,
      username,
      displayName,
      smtpAddress: `${username}@example.com`,
      legacyExchangeDN: dnOf(username),
      enabled: true,
      attributes,
      proxyAddresses: [`SMTP:${username}@example.com`, `smtp:${username}.alias@example.org`],
      ...extra,
    };
    this.users.push(u);
    this.gen++;
    return u;
  }

  addGroup(name: string, displayName: string, members: string[]): DirectoryGroup {
    const g: DirectoryGroup = {
      id: this.nextId++,
      name,
      displayName,
      smtpAddress: `${name}@example.com`,
      legacyExchangeDN: dnOf(name),
      members,
      proxyAddresses: [`SMTP:${name}@example.com`],
    };
    this.groups.push(g);
    this.gen++;
    return g;
  }

  addContact(name: string, displayName: string, smtp: string, attributes: PersonAttributes = {}): DirectoryContact {
    const c: DirectoryContact = {
      id: this.nextId++,
      name,
      displayName,
      smtpAddress: smtp,
      legacyExchangeDN: dnOf(name),
      attributes,
      proxyAddresses: [`SMTP:${smtp}`],
    };
    this.contacts.push(c);
    this.gen++;
    return c;
  }

  remove(name: string): void {
    this.users = this.users.filter((u) => u.username !== name);
    this.groups = this.groups.filter((g) => g.name !== name);
    this.contacts = this.contacts.filter((c) => c.name !== name);
    this.gen++;
  }

  async findUser(nameOrAddress: string): Promise<DirectoryUser | null> {
    const k = nameOrAddress.toLowerCase();
    return this.users.find((u) => u.username.toLowerCase() === k || u.smtpAddress.toLowerCase() === k || u.legacyExchangeDN.toLowerCase() === k) ?? null;
  }
  async getNtHash(): Promise<Buffer | null> {
    return null;
  }
  async verifyPassword(): Promise<DirectoryUser | null> {
    return null;
  }
  async listUsers(): Promise<DirectoryUser[]> {
    this.calls.listUsers++;
    return [...this.users];
  }
  async findGroup(name: string): Promise<DirectoryGroup | null> {
    return this.groups.find((g) => g.name.toLowerCase() === name.toLowerCase()) ?? null;
  }
  async listGroups(): Promise<DirectoryGroup[]> {
    return [...this.groups];
  }
  async listContacts(): Promise<DirectoryContact[]> {
    return [...this.contacts];
  }
  async generation(): Promise<number> {
    this.calls.generation++;
    return this.gen;
  }
  async getSelfService(username: string): Promise<UserSelfService | null> {
    this.calls.getSelfService++;
    if (!this.users.some((u) => u.username.toLowerCase() === username.toLowerCase())) return null;
    const s = this.self.get(username.toLowerCase()) ?? { certificates: [], delegates: [] };
    return { certificates: [...s.certificates], delegates: [...s.delegates] };
  }
  async setCertificates(username: string, certificates: Buffer[]): Promise<void> {
    this.calls.setCertificates++;
    if (this.readOnly) throw new DirectoryError('OC_DIR_READ_ONLY', 'read-only');
    const s = this.self.get(username.toLowerCase()) ?? { certificates: [], delegates: [] };
    this.self.set(username.toLowerCase(), { ...s, certificates });
  }
  async setDelegates(username: string, delegates: string[]): Promise<void> {
    this.calls.setDelegates++;
    if (this.readOnly) throw new DirectoryError('OC_DIR_READ_ONLY', 'read-only');
    for (const d of delegates) if (!this.users.some((u) => u.username === d)) throw new DirectoryError('OC_DIR_NOT_FOUND', `no user ${d}`);
    const s = this.self.get(username.toLowerCase()) ?? { certificates: [], delegates: [] };
    this.self.set(username.toLowerCase(), { ...s, delegates });
  }
  async close(): Promise<void> {}
}

/** The test population: non-ASCII names, an ambiguous first name, two groups (one nested), a contact. */
export function population(): FakeDirectory {
  const d = new FakeDirectory();
  d.addUser('alice', 'Alice Liddell', { givenName: 'Alice', surname: 'Liddell', title: 'Explorer', department: 'Wonder', company: 'Looking Glass', office: 'Rabbit Hole 1', businessPhone: '+1 555 0100', mobilePhone: '+1 555 0101', fax: '+1 555 0102', streetAddress: '1 Hole Rd', locality: 'Oxford', stateOrProvince: 'Oxon', postalCode: 'OX1', country: 'UK' });
  d.addUser('alicia', 'Alicia Keys', { givenName: 'Alicia', surname: 'Keys' });
  d.addUser('bob', 'Bob Smith', { givenName: 'Bob', surname: 'Smith', office: 'Building 7' });
  d.addUser('zoe', 'Zoë Ångström', { givenName: 'Zoë', surname: 'Ångström', department: 'Physics' });
  d.addUser('lilei', '李雷', { givenName: '雷', surname: '李' });
  d.addUser('emile', 'Émile Zola', { givenName: 'Émile', surname: 'Zola' });
  d.addUser('zed', 'Zed Zulu', {});
  d.addGroup('sales', 'Sales Team', ['alice', 'bob', 'ext']);
  d.addGroup('all', 'All Staff', ['sales', 'zoe', 'lilei']);
  d.addContact('ext', 'External Partner', 'partner@outside.example', { company: 'Outside Inc' });
  return d;
}

export function newAddressBook(dir: Directory, over: Partial<AddressBookOptions> = {}): AddressBook {
  return new AddressBook({
    directory: dir,
    special: { serverName: 'EXCH01', networkHost: 'exch01.example.com', serverDN: SERVER_DN, storeDN: STORE_DN },
    serverGuid: '11111111-2222-3333-4444-555555555555',
    ...over,
  });
}

export const stat = newStat;

export async function bind(ab: AddressBook, user = 'alice'): Promise<NspiSession> {
  const r = await nspiBind(ab, { flags: 0, stat: stat(), user });
  if (!r.session) throw new Error(`bind failed 0x${r.ec.toString(16)}`);
  return r.session;
}
