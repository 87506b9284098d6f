// ocng contact add|set|list|remove: mail contacts (people outside the organization, shown in the address book).
import type { Command } from 'commander';
import { attributeOptions, attributesFrom } from '../attributes.js';
import { CliError, table } from '../io.js';
import type { CliContext } from '../context.js';

type Ctx = (cmd: Command) => CliContext;

interface ContactOptions {
  email?: string;
  displayName?: string;
  alias?: string[];
  removeAlias?: string[];
  [attribute: string]: unknown;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerContactCommands(program: Command, ctx: Ctx): void {
  const contact = program
    .command('contact')
    .description('manage mail contacts of the built-in directory: address book entries without an account (list works with LDAP too)');

  attributeOptions(
    contact
      .command('add')
      .description('add a mail contact')
      .argument('<name>', 'letters, digits, ".", "_" or "-" (at most 64); shares the namespace of user and group names')
      .requiredOption('--email <address>', 'the SMTP address mail to the contact goes to')
      .option('--display-name <name>', 'display name (default: the name)'),
    'add',
  ).action(async (name: string, opts: ContactOptions, cmd: Command) => {
    const c = ctx(cmd);
    await c.withDirectory(async (dir) => {
      const k = await dir.addContact({
        name,
        smtpAddress: opts.email as string,
        displayName: opts.displayName,
        attributes: attributesFrom(opts),
        aliases: opts.alias,
      });
      c.out(`contact ${k.name} added (${k.smtpAddress})\n`);
    }, `add the contact ${name}`);
  });

  attributeOptions(
    contact
      .command('set')
      .description("change a contact's display name, attributes and aliases")
      .argument('<name>')
      .option('--display-name <name>', 'display name'),
    'set',
  )
    .option('--remove-alias <address>', 'remove a proxy address added with --alias (repeatable)', collect)
    .action(async (name: string, opts: ContactOptions, cmd: Command) => {
      const c = ctx(cmd);
      const attributes = attributesFrom(opts);
      const changes = Object.keys(attributes).length + (opts.displayName !== undefined ? 1 : 0);
      if (!changes && !opts.alias?.length && !opts.removeAlias?.length) {
        throw new CliError('nothing to change: give at least one option (see "ocng contact set --help")');
      }
      await c.withDirectory(async (dir) => {
        if (changes) await dir.setAttributes(name, { ...attributes, ...(opts.displayName !== undefined ? { displayName: opts.displayName } : {}) });
        for (const a of opts.removeAlias ?? []) await dir.removeAlias(name, a);
        for (const a of opts.alias ?? []) await dir.addAlias(name, a);
        c.out(`contact ${name} changed\n`);
      }, `change the contact ${name}`);
    });

  contact
    .command('list')
    .description('list the mail contacts')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      await c.withReadDirectory(async (dir) => {
        const contacts = await dir.listContacts();
        if (opts.json) return c.out(JSON.stringify(contacts, null, 2) + '\n');
        if (!contacts.length) return c.io.stderr.write('no contacts\n');
        c.out(
          table(
            ['NAME', 'EMAIL', 'DISPLAY NAME', 'COMPANY'],
            contacts.map((k) => [k.name, k.smtpAddress, k.displayName, k.attributes.company ?? '']),
          ),
        );
      });
    });

  contact
    .command('remove')
    .description('remove a mail contact')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        await dir.removeContact(name);
        c.out(`contact ${name} removed\n`);
      }, `remove the contact ${name}`);
    });
}
