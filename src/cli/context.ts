// Shared plumbing for the commands: global options -> config, loggers, opening the directory.
import type { Command } from 'commander';
import { resolveConfig, type ResolvedConfig, type SetFlag } from '../config/load.js';
import type { Config } from '../config/types.js';
import { openConfiguredDirectory, readOnlyProviderError, type OpenedDirectory } from '../directory/open.js';
import type { Directory, DirectoryAdmin } from '../directory/types.js';
import type { RunningServer } from '../server.js';
import type { LogOptions, Logger } from '../util/log.js';
import type { CliIo } from './io.js';

/** startServer as `serve` calls it: the directory is handed over in a third, options argument. */
export type StartServer = (config: Config, log: Logger, opts: { directory: Directory }) => Promise<RunningServer>;

export interface CliDeps {
  startServer: StartServer;
  createLogger: (opts: LogOptions) => Logger;
}

export interface GlobalOptions {
  config?: string;
  set?: string[];
  dataDir?: string;
  logLevel?: string;
}

export class CliContext {
  constructor(
    readonly io: CliIo,
    readonly deps: CliDeps,
    private readonly cmd: Command,
  ) {}

  get globals(): GlobalOptions {
    return this.cmd.optsWithGlobals() as GlobalOptions;
  }

  out(s: string): void {
    this.io.stdout.write(s);
  }

  /** The configuration from the config file, OCNG_* and the flags. Throws ConfigError. */
  load(): ResolvedConfig {
    const g = this.globals;
    const set: (string | SetFlag)[] = [...(g.set ?? [])];
    if (g.dataDir !== undefined) set.push({ path: 'dataDir', value: g.dataDir, source: `--data-dir ${g.dataDir}` });
    if (g.logLevel !== undefined) set.push({ path: 'log.level', value: g.logLevel, source: `--log-level ${g.logLevel}` });
    return resolveConfig({ file: g.config, env: this.io.env, set, cwd: this.io.cwd });
  }

  /**
   * Logger for the admin commands: standard error, at the configured level when one was set explicitly, else
   * `warn` (so `ocng user add` does not chatter).
   */
  adminLogger(r: ResolvedConfig): Logger {
    const level = r.origins.has('log.level') ? r.config.log.level : 'warn';
    return this.deps.createLogger({ level, destination: 2 });
  }

  /**
   * Runs fn with the built-in directory open for changes, closing it afterwards; `what` names the change for the
   * error when the provider is LDAP (read-only for ocng).
   */
  async withDirectory<T>(fn: (dir: DirectoryAdmin, config: Config) => Promise<T>, what = 'change the directory'): Promise<T> {
    const r = this.load();
    if (r.config.directory.provider !== 'builtin') throw readOnlyProviderError(what);
    return this.withOpened(r, async (opened) => fn(opened.admin as DirectoryAdmin, r.config));
  }

  /** Runs fn with the configured directory (built-in or LDAP) open for reading, closing it afterwards. */
  async withReadDirectory<T>(fn: (dir: Directory, config: Config) => Promise<T>): Promise<T> {
    const r = this.load();
    return this.withOpened(r, async (opened) => fn(opened.directory, r.config));
  }

  private async withOpened<T>(r: ResolvedConfig, fn: (opened: OpenedDirectory) => Promise<T>): Promise<T> {
    const opened = await openConfiguredDirectory(r.config, this.adminLogger(r));
    try {
      return await fn(opened);
    } finally {
      await opened.directory.close();
    }
  }
}
