// Rows of the built-in directory's tables and how they become the Directory contract's objects.
import type { DirectoryContact, DirectoryGroup, DirectoryUser, PersonAttributes } from './types.js';

export type Kind = 'user' | 'group' | 'contact';

export interface RecipientRow {
  id: number;
  kind: Kind;
  name: string;
  display_name: string;
  smtp_address: string;
  legacy_dn: string;
  attributes: string;
}
export interface UserRow extends RecipientRow {
  enabled: number;
}
export interface CredentialRow extends UserRow {
  nt_hash: Buffer;
  password_hash: string;
}

export function parseAttributes(json: string): PersonAttributes {
  if (json === '{}') return {};
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as PersonAttributes) : {};
  } catch {
    return {};
  }
}

/** "SMTP:<primary>" first, then the stored proxies in the order they were added. */
function proxiesOf(primary: string, extra: string[] | undefined): string[] {
  return extra ? ['SMTP:' + primary, ...extra] : ['SMTP:' + primary];
}

export function toUser(r: UserRow, extra: string[] | undefined): DirectoryUser {
  return {
    id: r.id,
    username: r.name,
    displayName: r.display_name,
    smtpAddress: r.smtp_address,
    legacyExchangeDN: r.legacy_dn,
    enabled: r.enabled === 1,
    attributes: parseAttributes(r.attributes),
    proxyAddresses: proxiesOf(r.smtp_address, extra),
  };
}

export function toGroup(r: RecipientRow, members: string[], extra: string[] | undefined): DirectoryGroup {
  return {
    id: r.id,
    name: r.name,
    displayName: r.display_name,
    smtpAddress: r.smtp_address,
    legacyExchangeDN: r.legacy_dn,
    members,
    proxyAddresses: proxiesOf(r.smtp_address, extra),
  };
}

export function toContact(r: RecipientRow, extra: string[] | undefined): DirectoryContact {
  return {
    id: r.id,
    name: r.name,
    displayName: r.display_name,
    smtpAddress: r.smtp_address,
    legacyExchangeDN: r.legacy_dn,
    attributes: parseAttributes(r.attributes),
    proxyAddresses: proxiesOf(r.smtp_address, extra),
  };
}

export function groupBy<T extends { k: number; v: string }>(rows: T[]): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const r of rows) {
    const list = m.get(r.k);
    if (list) list.push(r.v);
    else m.set(r.k, [r.v]);
  }
  return m;
}
