// ocng serve: config -> logger -> directory (built-in + demo user, or LDAP) -> startServer; runs until SIGINT/SIGTERM.
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config/types.js';
import { ensureDemoUser } from '../../directory/demo.js';
import { openConfiguredDirectory } from '../../directory/open.js';
import type { Directory } from '../../directory/types.js';
import type { RunningServer } from '../../server.js';
import { describeError, isOcError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { CliContext } from '../context.js';
import { CliError } from '../io.js';

type Ctx = (cmd: Command) => CliContext;

interface ListenError {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
  message?: string;
  cause?: unknown;
}

function findErrno(e: unknown): ListenError | null {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as ListenError).cause, depth++) {
    const code = (cur as ListenError).code;
    if (code === 'EACCES' || code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') return cur as ListenError;
  }
  return null;
}

/** A one-line explanation of a start-up failure, with what to do about the usual ones. */
export function startupErrorMessage(e: unknown, config: Config): string {
  const err = findErrno(e);
  if (!err) return e instanceof Error ? e.message : describeError(e);
  const port = err.port;
  const where = `${err.address ?? config.rpc.listen}${port !== undefined ? ':' + port : ''}`;
  const isEpm = port !== undefined && port === config.rpc.epmPort && port !== config.rpc.port;
  const key = isEpm ? 'rpc.epmPort' : 'rpc.port';
  switch (err.code) {
    case 'EACCES':
      return (
        `cannot listen on ${where}: permission denied. Ports below 1024 need root or CAP_NET_BIND_SERVICE: ` +
        (isEpm ? 'run without the separate endpoint mapper (--set rpc.epmPort=-1), ' : `use a port above 1023 (--set ${key}=<port>), `) +
        'or let node bind low ports: sudo setcap cap_net_bind_service=+ep "$(readlink -f "$(which node)")"'
      );
    case 'EADDRINUSE':
      return (
        `cannot listen on ${where}: the address is already in use` +
        (isEpm
          ? ' (another endpoint mapper, e.g. Samba, may own it); use --set rpc.epmPort=<port>, or -1 for none'
          : ` (is another ocng running?); use --set ${key}=<port>`)
      );
    default:
      return `cannot listen on ${where}: the address is not available on this machine; check rpc.listen`;
  }
}

function openLogDestination(config: Config): number {
  if (!config.log.file) return 1;
  try {
    return fs.openSync(config.log.file, 'a', 0o640);
  } catch (e) {
    throw new CliError(`cannot open the log file ${config.log.file} (log.file): ${(e as Error).message}`);
  }
}

function flush(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      log.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}

async function serve(c: CliContext): Promise<number> {
  const { config } = c.load();
  const log = c.deps.createLogger({ level: config.log.level, destination: openLogDestination(config) });
  let dir: Directory | undefined;
  let server: RunningServer;
  try {
    const opened = await openConfiguredDirectory(config, log);
    dir = opened.directory;
    const demo = opened.admin ? await ensureDemoUser(opened.admin, config, log) : null;
    if (demo) {
      c.out(
        `Created a demo user for a first logon:\n` +
          `  username: ${demo.username}\n` +
          `  password: ${demo.password}\n` +
          `The password is saved in ${demo.file}. Remove the user with "ocng user remove ${demo.username}" once you have your own.\n`,
      );
    }
    server = await c.deps.startServer(config, log, { directory: dir });
  } catch (e) {
    log.fatal({ err: e }, 'start-up failed');
    await dir?.close().catch(() => undefined);
    await flush(log);
    throw new CliError(startupErrorMessage(e, config), isOcError(e) ? e.code : 'OC_CLI_STARTUP');
  }
  for (const line of server.endpoints) c.out(line + '\n');

  // After the first signal the handler is removed, so a second one gets the default behaviour: immediate exit.
  let off: (() => void) | undefined;
  let received: string | undefined;
  const signal = await new Promise<string>((resolve) => {
    off = c.io.onSignal((s) => {
      if (received) return;
      received = s;
      off?.();
      resolve(s);
    });
    if (received) off();
  });
  log.info({ signal }, 'shutting down');
  let code = 0;
  try {
    await server.close();
  } catch (e) {
    c.io.stderr.write(`ocng: error while stopping the server: ${describeError(e)}\n`);
    code = 1;
  }
  try {
    await dir.close();
  } catch (e) {
    c.io.stderr.write(`ocng: error while closing the directory: ${describeError(e)}\n`);
    code = 1;
  }
  log.info('stopped');
  await flush(log);
  return code;
}

export function registerServeCommand(program: Command, ctx: Ctx, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('run the server until SIGINT or SIGTERM')
    .action(async (_opts: unknown, cmd: Command) => {
      setExit(await serve(ctx(cmd)));
    });
}
