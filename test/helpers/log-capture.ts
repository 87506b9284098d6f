// A pino logger whose lines are kept as parsed JSON objects, for tests that check what the server logged.
import { pino } from 'pino';

export type LogLine = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A logger at `level` (default debug) writing into `lines` (given, or a new array). */
export function captureLog(level: pino.Level = 'debug', lines: LogLine[] = []): { lines: LogLine[]; log: pino.Logger } {
  const log = pino({ level }, {
    write: (s: string) => {
      for (const l of s.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
    },
  });
  return { lines, log };
}
