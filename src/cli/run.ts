// The ocng command line as a function: run(argv, io) -> exit code. main.ts is the thin bin wrapper around it;
// tests call run() in-process with their own io.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { startServer } from '../server.js';
import { describeError, isOcError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { CliContext, type CliDeps, type StartServer } from './context.js';
import type { CliIo } from './io.js';
import { registerConfigCommands } from './commands/config.js';
import { registerContactCommands } from './commands/contact.js';
import { registerGroupCommands } from './commands/group.js';
import { registerImapCommands } from './commands/imap.js';
import { registerServeCommand } from './commands/serve.js';
import { registerUserCommands } from './commands/user.js';

export type { CliIo } from './io.js';
export type { CliDeps, StartServer } from './context.js';

function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'openchange-ng' && pkg.version) return pkg.version;
    } catch {
      // not here; look one level up
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Builds the command tree. Exposed for tests that want to inspect it (every command has --help). */
export function buildProgram(io: CliIo, deps: CliDeps, setExit: (code: number) => void): Command {
  const program = new Command('ocng');
  program
    .description('A server that Microsoft Outlook connects to as if it were Microsoft Exchange')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-c, --config <file>', 'config file (default: $OCNG_CONFIG, else ./ocng.yaml when present)')
    .option('--set <key=value>', 'set a config key, e.g. --set rpc.port=7000 (repeatable)', collect)
    .option('--data-dir <dir>', 'same as --set dataDir=<dir>')
    .option('--log-level <level>', 'same as --set log.level=<level>')
    .helpOption('-h, --help', 'print help')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write('ocng: ' + s.replace(/^error: /, '')),
    })
    .addHelpText('after', '\nConfiguration keys: "ocng config doc". Help on a command: "ocng <command> --help".');

  const ctx = (cmd: Command) => new CliContext(io, deps, cmd);
  registerServeCommand(program, ctx, setExit);
  registerUserCommands(program, ctx);
  registerGroupCommands(program, ctx);
  registerContactCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerImapCommands(program, ctx, setExit);
  return program;
}

/** Runs the ocng command line (argv without node and script) and resolves to the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIo, deps: Partial<CliDeps> = {}): Promise<number> {
  let exit = 0;
  const full: CliDeps = {
    startServer: deps.startServer ?? startServer,
    createLogger: deps.createLogger ?? createLogger,
  };
  const program = buildProgram(io, full, (code) => (exit = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.stderr.write(`ocng: ${isOcError(e) ? e.message : describeError(e)}\n`);
    return 1;
  }
}
