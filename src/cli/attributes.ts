// The person-attribute options shared by `user add|set` and `contact add|set`, and how `show` prints them.
import type { Command } from 'commander';
import type { PersonAttributes } from '../directory/types.js';

interface AttributeOption {
  flag: string;
  /** The property commander stores the value under. */
  opt: string;
  key: keyof PersonAttributes;
  label: string;
}

export const ATTRIBUTE_OPTIONS: readonly AttributeOption[] = [
  { flag: '--given-name <name>', opt: 'givenName', key: 'givenName', label: 'given name' },
  { flag: '--surname <name>', opt: 'surname', key: 'surname', label: 'surname' },
  { flag: '--initials <initials>', opt: 'initials', key: 'initials', label: 'initials' },
  { flag: '--title <title>', opt: 'title', key: 'title', label: 'title' },
  { flag: '--department <name>', opt: 'department', key: 'department', label: 'department' },
  { flag: '--company <name>', opt: 'company', key: 'company', label: 'company' },
  { flag: '--office <office>', opt: 'office', key: 'office', label: 'office' },
  { flag: '--phone <number>', opt: 'phone', key: 'businessPhone', label: 'business phone' },
  { flag: '--mobile <number>', opt: 'mobile', key: 'mobilePhone', label: 'mobile phone' },
  { flag: '--home-phone <number>', opt: 'homePhone', key: 'homePhone', label: 'home phone' },
  { flag: '--fax <number>', opt: 'fax', key: 'fax', label: 'fax' },
  { flag: '--street <address>', opt: 'street', key: 'streetAddress', label: 'street address' },
  { flag: '--city <city>', opt: 'city', key: 'locality', label: 'city' },
  { flag: '--state <state>', opt: 'state', key: 'stateOrProvince', label: 'state or province' },
  { flag: '--postal-code <code>', opt: 'postalCode', key: 'postalCode', label: 'postal code' },
  { flag: '--country <country>', opt: 'country', key: 'country', label: 'country' },
  { flag: '--comment <text>', opt: 'comment', key: 'comment', label: 'comment' },
];

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds the attribute options (and --alias) to a command; `set` commands say that "" clears a value. */
export function attributeOptions(cmd: Command, mode: 'add' | 'set'): Command {
  for (const o of ATTRIBUTE_OPTIONS) cmd.option(o.flag, mode === 'set' ? `${o.label} ("" clears it)` : o.label);
  cmd.option(
    '--alias <address>',
    mode === 'set' ? 'add a proxy address: an SMTP alias, or X500:/o=... (repeatable)' : 'another address: an SMTP alias, or X500:/o=... (repeatable)',
    collect,
  );
  return cmd;
}

/** The attributes given on the command line (only those given). */
export function attributesFrom(opts: Record<string, unknown>): PersonAttributes {
  const out: PersonAttributes = {};
  for (const o of ATTRIBUTE_OPTIONS) {
    const v = opts[o.opt];
    if (typeof v === 'string') out[o.key] = v;
  }
  return out;
}

/** "label: value" lines of the attributes that are set, for `show`. */
export function attributeLines(attrs: PersonAttributes): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const o of ATTRIBUTE_OPTIONS) {
    const v = attrs[o.key];
    if (v) out.push([o.label, v]);
  }
  return out;
}

/** Aligned "label:  value" lines; multi-line values are indented under the first. */
export function formatFields(fields: Array<[string, string]>): string {
  const width = Math.max(...fields.map(([l]) => l.length)) + 2;
  return (
    fields
      .map(([l, v]) => `${(l + ':').padEnd(width)}${v.split('\n').join('\n' + ' '.repeat(width))}`.trimEnd())
      .join('\n') + '\n'
  );
}
