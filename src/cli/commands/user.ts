// ocng user add|set|show|list|remove|passwd|enable|disable
import type { Command } from 'commander';
import { NAME_RE } from '../../directory/builtin.js';
import { DirectoryError, DirectoryErrorCode } from '../../directory/errors.js';
import type { DirectoryGroup, DirectoryUser, UserSelfService } from '../../directory/types.js';
import { attributeLines, attributeOptions, attributesFrom, formatFields } from '../attributes.js';
import { CliError, obtainPassword, table, type PasswordOptions } from '../io.js';
import type { CliContext } from '../context.js';

type Ctx = (cmd: Command) => CliContext;

const passwordOptions = (c: Command): Command =>
  c
    .option('--password <password>', 'the password (visible to other local users in the process list)')
    .option('--password-stdin', 'read the password from standard input');

interface AddOptions extends PasswordOptions {
  displayName?: string;
  email?: string;
  alias?: string[];
  [attribute: string]: unknown;
}

interface SetOptions {
  displayName?: string;
  alias?: string[];
  removeAlias?: string[];
  [attribute: string]: unknown;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** What `user show` prints: the user, its groups and its self-service data. */
export function userDetails(u: DirectoryUser, groups: DirectoryGroup[], self: UserSelfService | null): string {
  const fields: Array<[string, string]> = [
    ['username', u.username],
    ['display name', u.displayName],
    ['enabled', u.enabled ? 'yes' : 'no'],
    ['email', u.smtpAddress],
    ['legacyExchangeDN', u.legacyExchangeDN],
    ['proxy addresses', u.proxyAddresses.join(', ')],
    ...attributeLines(u.attributes),
    ['groups', groups.map((g) => g.name).join(', ') || '(none)'],
    ['certificates', String(self?.certificates.length ?? 0)],
    ['delegates', self?.delegates.join(', ') || '(none)'],
  ];
  return formatFields(fields);
}

export function registerUserCommands(program: Command, ctx: Ctx): void {
  const user = program.command('user').description('manage users of the built-in directory (list and show work with LDAP too)');

  attributeOptions(
    passwordOptions(
      user
        .command('add')
        .description('add a user (asks for the password on a terminal)')
        .argument('<username>', 'letters, digits, ".", "_" or "-" (at most 64)'),
    )
      .option('--display-name <name>', 'display name (default: the username)')
      .option('--email <address>', 'primary SMTP address (default: <username>@<server.dnsDomain>)'),
    'add',
  ).action(async (username: string, opts: AddOptions, cmd: Command) => {
    const c = ctx(cmd);
    await c.withDirectory(async (dir) => {
      // Refuse a bad or taken name before asking for a password.
      if (!NAME_RE.test(username)) {
        throw new DirectoryError(DirectoryErrorCode.BAD_NAME, `invalid user name ${JSON.stringify(username)}: use 1 to 64 letters, digits, ".", "_" or "-"`);
      }
      if (await dir.findUser(username)) throw new DirectoryError(DirectoryErrorCode.EXISTS, `a user named ${JSON.stringify(username)} already exists`);
      const password = await obtainPassword(c.io, opts, username);
      const u = await dir.addUser({
        username,
        password,
        displayName: opts.displayName,
        smtpAddress: opts.email,
        attributes: attributesFrom(opts),
        aliases: opts.alias,
      });
      c.out(`user ${u.username} added (${u.smtpAddress})\n`);
    }, `add the user ${username}`);
  });

  attributeOptions(
    user
      .command('set')
      .description("change a user's display name, attributes and aliases")
      .argument('<username>')
      .option('--display-name <name>', 'display name'),
    'set',
  )
    .option('--remove-alias <address>', 'remove a proxy address added with --alias (repeatable)', collect)
    .action(async (username: string, opts: SetOptions, cmd: Command) => {
      const c = ctx(cmd);
      const attributes = attributesFrom(opts);
      const changes = Object.keys(attributes).length + (opts.displayName !== undefined ? 1 : 0);
      if (!changes && !opts.alias?.length && !opts.removeAlias?.length) {
        throw new CliError('nothing to change: give at least one option (see "ocng user set --help")');
      }
      await c.withDirectory(async (dir) => {
        const u = await dir.findUser(username);
        if (!u || u.username.toLowerCase() !== username.toLowerCase()) {
          throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no user named ${JSON.stringify(username)}`);
        }
        if (changes) await dir.setAttributes(u.username, { ...attributes, ...(opts.displayName !== undefined ? { displayName: opts.displayName } : {}) });
        for (const a of opts.removeAlias ?? []) await dir.removeAlias(u.username, a);
        for (const a of opts.alias ?? []) await dir.addAlias(u.username, a);
        c.out(`user ${u.username} changed\n`);
      }, `change the user ${username}`);
    });

  user
    .command('show')
    .description('show a user: addresses, attributes, groups, certificates and delegates')
    .argument('<username>', 'username, SMTP address or legacyExchangeDN')
    .option('--json', 'print JSON (certificates as base64)')
    .action(async (username: string, opts: { json?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      await c.withReadDirectory(async (dir) => {
        const u = await dir.findUser(username);
        if (!u) throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no user named ${JSON.stringify(username)}`);
        const groups = (await dir.listGroups()).filter((g) => g.members.includes(u.username));
        const self = await dir.getSelfService(u.username);
        if (opts.json) {
          const json = {
            ...u,
            groups: groups.map((g) => g.name),
            certificates: (self?.certificates ?? []).map((b) => b.toString('base64')),
            delegates: self?.delegates ?? [],
          };
          return c.out(JSON.stringify(json, null, 2) + '\n');
        }
        c.out(userDetails(u, groups, self));
      });
    });

  user
    .command('list')
    .description('list the users')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      await c.withReadDirectory(async (dir) => {
        const users = await dir.listUsers();
        if (opts.json) return c.out(JSON.stringify(users, null, 2) + '\n');
        if (!users.length) return c.io.stderr.write('no users\n');
        c.out(
          table(
            ['USERNAME', 'ENABLED', 'EMAIL', 'DISPLAY NAME'],
            users.map((u) => [u.username, u.enabled ? 'yes' : 'no', u.smtpAddress, u.displayName]),
          ),
        );
      });
    });

  user
    .command('remove')
    .description('remove a user (and its group memberships)')
    .argument('<username>')
    .action(async (username: string, _opts: unknown, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        await dir.removeUser(username);
        c.out(`user ${username} removed\n`);
      }, `remove the user ${username}`);
    });

  passwordOptions(user.command('passwd').description("change a user's password").argument('<username>')).action(
    async (username: string, opts: PasswordOptions, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        const u = await dir.findUser(username);
        if (!u || u.username.toLowerCase() !== username.toLowerCase()) {
          throw new DirectoryError(DirectoryErrorCode.NOT_FOUND, `no user named ${JSON.stringify(username)}`);
        }
        const password = await obtainPassword(c.io, opts, u.username);
        await dir.setPassword(u.username, password);
        c.out(`password of ${u.username} changed\n`);
      }, `change the password of ${username}`);
    },
  );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    user
      .command(name)
      .description(enabled ? 'allow a user to log on again' : 'stop a user from logging on (keeps the account)')
      .argument('<username>')
      .action(async (username: string, _opts: unknown, cmd: Command) => {
        const c = ctx(cmd);
        await c.withDirectory(async (dir) => {
          await dir.setEnabled(username, enabled);
          c.out(`user ${username} ${enabled ? 'enabled' : 'disabled'}\n`);
        }, `${name} the user ${username}`);
      });
  }
}
