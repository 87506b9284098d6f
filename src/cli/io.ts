// What the CLI touches of the outside world, passed in so tests can run commands in-process.
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { OcError } from '../util/errors.js';

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Directory that relative paths resolve against. */
  cwd: string;
  /** Calls the handler on SIGINT/SIGTERM until the returned function is called. */
  onSignal(handler: (signal: string) => void): () => void;
}

/** A mistake in how the command was used; printed as `ocng: <message>`, exit code 1. */
export class CliError extends OcError {
  constructor(message: string, code = 'OC_CLI_USAGE') {
    super(code, message);
  }
}

const MAX_STDIN = 64 * 1024;

/** Reads standard input to its end (at most 64 KiB). */
export async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_STDIN) throw new CliError('standard input is larger than 64 KiB');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** --password-stdin: the whole input minus one trailing line break; must be a single line. */
export async function readPasswordFromStdin(io: CliIo): Promise<string> {
  const text = (await readAll(io.stdin)).replace(/\r?\n$/, '');
  if (/[\r\n]/.test(text)) throw new CliError('the password read from standard input must be a single line');
  return text;
}

/** Asks the questions on the terminal without echoing the answers. */
export function promptHidden(io: CliIo, questions: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let muted = false;
    const out = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        if (!muted) io.stderr.write(chunk.toString());
        cb();
      },
    });
    const rl = readline.createInterface({ input: io.stdin, output: out, terminal: true });
    const answers: string[] = [];
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      rl.close();
      if (err) reject(err);
      else resolve(answers);
    };
    rl.on('SIGINT', () => {
      io.stderr.write('\n');
      finish(new CliError('cancelled'));
    });
    rl.on('close', () => finish(answers.length === questions.length ? null : new CliError('no password entered')));
    const ask = (i: number) => {
      if (i === questions.length) return finish(null);
      muted = false;
      rl.question(questions[i] as string, (answer) => {
        io.stderr.write('\n');
        answers.push(answer);
        ask(i + 1);
      });
      muted = true;
    };
    ask(0);
  });
}

export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

/** The password from --password, --password-stdin, or (on a terminal) typed twice. */
export async function obtainPassword(io: CliIo, opts: PasswordOptions, who: string): Promise<string> {
  if (opts.password !== undefined && opts.passwordStdin) throw new CliError('use either --password or --password-stdin, not both');
  if (opts.password !== undefined) return opts.password;
  if (opts.passwordStdin) return readPasswordFromStdin(io);
  if (!io.stdin.isTTY) {
    throw new CliError('no password given: use --password <password> or --password-stdin (standard input is not a terminal)');
  }
  const [a, b] = await promptHidden(io, [`New password for ${who}: `, 'Repeat the password: ']);
  if (a !== b) throw new CliError('the passwords do not match');
  return a as string;
}

/** Left-aligned text columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
