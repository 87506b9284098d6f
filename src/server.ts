// Server composition: builds the directory, the interface registry and the listeners from a Config.
// (Filled in by the RPC runtime work; the CLI's `serve` calls startServer.)
import type { Config } from './config/types.js';
import type { Logger } from './util/log.js';

export interface RunningServer {
  /** Actual bound ports (useful when the config asked for 0). */
  readonly ports: { rpc: number; epm: number | null };
  /** Human-readable endpoint lines printed at start-up. */
  readonly endpoints: string[];
  close(): Promise<void>;
}

export async function startServer(_config: Config, _log: Logger): Promise<RunningServer> {
  throw new Error('startServer: not implemented yet');
}
