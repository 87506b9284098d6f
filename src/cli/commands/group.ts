// ocng group add|list|remove|add-member|remove-member
import type { Command } from 'commander';
import { table } from '../io.js';
import type { CliContext } from '../context.js';

type Ctx = (cmd: Command) => CliContext;

export function registerGroupCommands(program: Command, ctx: Ctx): void {
  const group = program.command('group').description('manage groups of the built-in directory (list works with LDAP too)');

  group
    .command('add')
    .description('add a group')
    .argument('<name>', 'letters, digits, ".", "_" or "-" (at most 64); shares the namespace of user names')
    .option('--display-name <name>', 'display name (default: the name)')
    .option('--email <address>', 'SMTP address (default: <name>@<server.dnsDomain>)')
    .option('--alias <address>', 'another address: an SMTP alias, or X500:/o=... (repeatable)', (v: string, p: string[] | undefined) => [...(p ?? []), v])
    .action(async (name: string, opts: { displayName?: string; email?: string; alias?: string[] }, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        const g = await dir.addGroup({ name, displayName: opts.displayName, smtpAddress: opts.email });
        try {
          for (const a of opts.alias ?? []) await dir.addAlias(g.name, a);
        } catch (e) {
          await dir.removeGroup(g.name); // all or nothing
          throw e;
        }
        c.out(`group ${g.name} added (${g.smtpAddress})\n`);
      }, `add the group ${name}`);
    });

  group
    .command('list')
    .description('list the groups and their members')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      await c.withReadDirectory(async (dir) => {
        const groups = await dir.listGroups();
        if (opts.json) return c.out(JSON.stringify(groups, null, 2) + '\n');
        if (!groups.length) return c.io.stderr.write('no groups\n');
        c.out(
          table(
            ['NAME', 'EMAIL', 'DISPLAY NAME', 'MEMBERS'],
            groups.map((g) => [g.name, g.smtpAddress, g.displayName, g.members.join(',')]),
          ),
        );
      });
    });

  group
    .command('remove')
    .description('remove a group (its members stay)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        await dir.removeGroup(name);
        c.out(`group ${name} removed\n`);
      }, `remove the group ${name}`);
    });

  group
    .command('add-member')
    .description('add a user to a group')
    .argument('<group>')
    .argument('<user>')
    .action(async (name: string, username: string, _opts: unknown, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        await dir.addMember(name, username);
        c.out(`${username} added to ${name}\n`);
      }, `add a member to the group ${name}`);
    });

  group
    .command('remove-member')
    .description('remove a user from a group')
    .argument('<group>')
    .argument('<user>')
    .action(async (name: string, username: string, _opts: unknown, cmd: Command) => {
      const c = ctx(cmd);
      await c.withDirectory(async (dir) => {
        await dir.removeMember(name, username);
        c.out(`${username} removed from ${name}\n`);
      }, `remove a member from the group ${name}`);
    });
}
