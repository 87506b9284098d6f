import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  level: LevelWithSilent;
  /** Destination file descriptor or path; stdout by default. */
  destination?: string | number;
}

/** The process logger. Connections take child loggers with {cid, peer, user}; calls add {op}. */
export function createLogger(opts: LogOptions): Logger {
  const dest = pino.destination({ dest: opts.destination ?? 1, sync: false });
  return pino({ level: opts.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** A logger that discards everything (unit tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
