import { PassThrough, Readable } from 'node:stream';
import { run, type CliDeps } from '../../src/cli/run.js';
import { silentLogger } from '../../src/util/log.js';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Text on standard input (not a terminal). */
  stdin?: string;
  /** A terminal on standard input fed with these lines. */
  tty?: string[];
  deps?: Partial<CliDeps>;
  /** Receives the signal trigger once `serve` waits for signals. */
  onSignalRegistered?: (fire: (signal: string) => void) => void;
}

/** Runs the CLI in-process with captured output. */
export async function cli(argv: string[], o: RunOptions): Promise<Result> {
  let stdout = '';
  let stderr = '';
  let stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  if (o.tty) {
    const pt = new PassThrough() as PassThrough & { isTTY?: boolean };
    pt.isTTY = true;
    pt.write(o.tty.map((l) => l + '\r').join(''));
    stdin = pt;
  } else {
    stdin = Readable.from(o.stdin !== undefined ? [Buffer.from(o.stdin)] : []);
  }
  const code = await run(
    argv,
    {
      stdin,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: o.env ?? {},
      cwd: o.cwd,
      onSignal(handler) {
        let on = true;
        o.onSignalRegistered?.((s) => {
          if (on) handler(s);
        });
        return () => {
          on = false;
        };
      },
    },
    { createLogger: () => silentLogger(), ...o.deps },
  );
  return { code, stdout, stderr };
}
