// ocng imap check <username>: logs the user in to the IMAP server the way the server would (imap.*) and reports
// what the backend will find there (src/mapistore/backends/imap/check.ts; docs/imap.md "Checking the IMAP server").
import type { Command } from 'commander';
import { checkImap, type ImapCheckReport } from '../../mapistore/backends/imap/check.js';
import type { CliContext } from '../context.js';
import { CliError, readPasswordFromStdin, table, type PasswordOptions } from '../io.js';

type Ctx = (cmd: Command) => CliContext;

/** The report as `ocng imap check` prints it. */
export function formatImapCheck(r: ImapCheckReport): string {
  const out: string[] = [];
  out.push(`IMAP server ${r.server} (imap.security ${r.security})`);
  out.push(`login ${r.login} (imap.auth ${r.mode}): logged in in ${Math.round(r.loginMs)} ms`);
  out.push('');
  out.push(
    table(
      ['CAPABILITY', 'PRESENT', 'WHAT FOR (OR WITHOUT IT)'],
      r.capabilities.map((c) => [c.name, c.present ? 'yes' : c.required ? 'NO (required)' : 'no', c.present ? c.use : c.without]),
    ).trimEnd(),
  );
  out.push('');
  const ns = (list: string[]): string => (list.length === 0 ? '(none)' : list.map((p) => JSON.stringify(p)).join(', '));
  out.push(`namespaces: personal ${ns(r.namespaces.personal)}; other users ${ns(r.namespaces.other)}; shared ${ns(r.namespaces.shared)}`);
  if (r.inboxRights !== null) out.push(`rights of the login on INBOX (MYRIGHTS): ${r.inboxRights || '(none)'}`);
  if (r.inbox) out.push(`INBOX: ${r.inbox.messages} message(s), UIDVALIDITY ${r.inbox.uidValidity}`);
  out.push('');
  out.push(table(['MAILBOX', 'FOLDER'], r.mailboxes.map((m) => [m.name, m.folder])).trimEnd());
  out.push('');
  for (const w of r.warnings) out.push(`warning: ${w}`);
  for (const e of r.errors) out.push(`error: ${e}`);
  out.push(
    r.errors.length === 0
      ? `OK: ${r.mailboxes.length} mailboxes${r.warnings.length > 0 ? `, ${r.warnings.length} warning(s)` : ''}`
      : `FAILED: ${r.errors.length} error(s)`,
  );
  return out.join('\n') + '\n';
}

export function registerImapCommands(program: Command, ctx: Ctx, setExit: (code: number) => void): void {
  const imap = program.command('imap').description('check the IMAP server of store.backend imap (imap.*)');
  imap
    .command('check')
    .description(
      "log a user in to the IMAP server as the server would (imap.auth) and report its capabilities, namespaces, the login's rights and how the mailboxes map onto folders; nothing is changed",
    )
    .argument('<username>', 'the user (the IMAP login name the trust mode logs in as)')
    .option('--password <password>', 'the user\'s own password, for imap.auth userPassword (visible to other local users in the process list)')
    .option('--password-stdin', "read the user's own password from standard input (imap.auth userPassword)")
    .action(async (username: string, opts: PasswordOptions, cmd: Command) => {
      const c = ctx(cmd);
      if (opts.password !== undefined && opts.passwordStdin) throw new CliError('use either --password or --password-stdin, not both');
      const r = c.load();
      const password = opts.passwordStdin ? await readPasswordFromStdin(c.io) : opts.password;
      if (r.config.store.backend !== 'imap') {
        c.io.stderr.write(`ocng: note: store.backend is ${r.config.store.backend}; the server uses imap.* only with store.backend imap\n`);
      }
      // what goes wrong is the report or the error printed; the pool's own log lines only with --log-level
      const log = r.origins.has('log.level') ? c.adminLogger(r) : c.deps.createLogger({ level: 'silent', destination: 2 });
      const report = await checkImap(r.config.imap, username, log, password);
      c.out(formatImapCheck(report));
      if (report.errors.length > 0) setExit(1);
    });
}
