// ocng user add|list|remove|passwd|enable|disable
import type { Command } from 'commander';
import { NAME_RE } from '../../directory/builtin.js';
import { DirectoryError, DirectoryErrorCode } from '../../directory/errors.js';
import { obtainPassword, table, type PasswordOptions } from '../io.js';
import type { CliContext } from '../context.js';

type Ctx = (cmd: Command) => CliContext;

const passwordOptions = (c: Command): Command =>
  c
    .option('--password <password>', 'the password (visible to other local users in the process list)')
    .option('--password-stdin', 'read the password from standard input');

export function registerUserCommands(program: Command, ctx: Ctx): void {
  const user = program.command('user').description('manage users of the built-in directory');

  passwordOptions(
    user
      .command('add')
      .description('add a user (asks for the password on a terminal)')
      .argument('<username>', 'letters, digits, ".", "_" or "-" (at most 64)'),
  )
    .option('--display-name <name>', 'display name (default: the username)')
    .option('--email <address>', 'SMTP address (default: <username>@<server.dnsDomain>)')
    .action(async (username: string, opts: PasswordOptions & { displayName?: string; email?: string }, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        // Refuse a bad or taken name before asking for a password.
        if (!NAME_RE.test(username)) {
          throw new DirectoryError(DirectoryErrorCode.BAD_NAME, `invalid user name ${JSON.stringify(username)}: use 1 to 64 letters, digits, ".", "_" or "-"`);
        }
        if (await dir.findUser(username)) throw new DirectoryError(DirectoryErrorCode.EXISTS, `a user named ${JSON.stringify(username)} already exists`);
        const password = await obtainPassword(c.io, opts, username);
        const u = await dir.addUser({ username, password, displayName: opts.displayName, smtpAddress: opts.email });
        c.out(`user ${u.username} added (${u.smtpAddress})\n`);
      });
    });

  user
    .command('list')
    .description('list the users')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
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
      });
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
      });
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
        });
      });
  }
}
