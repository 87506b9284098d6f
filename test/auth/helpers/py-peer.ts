// Runs one of the Python client helpers (JSON lines over stdin/stdout) under Debian's /usr/bin/python3, where
// python3-impacket and python3-samba are installed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

/** True when the interpreter exists and can import `module` (tests skip otherwise, with the reason). */
export async function pythonHas(module: string): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return new Promise((resolve) => {
    const p = spawn(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}

/** True when `code` runs to completion under the interpreter (a probe for optional system packages). */
export async function pythonRuns(code: string): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return new Promise((resolve) => {
    const p = spawn(PYTHON, ['-c', code], { stdio: 'ignore' });
    p.on('exit', (c) => resolve(c === 0));
    p.on('error', () => resolve(false));
  });
}

export class PyPeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(script: string) {
    const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
    this.proc = spawn(PYTHON, [path], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(line));
  }

  /** Sends one request; resolves with the reply, rejects with the helper's error text. */
  call<T = Record<string, unknown>>(req: Record<string, unknown>, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python helper timed out; stderr: ${this.stderr}`)), timeoutMs);
      this.waiting.push((line) => {
        clearTimeout(timer);
        const obj = JSON.parse(line) as Record<string, unknown>;
        if (typeof obj.error === 'string') reject(new Error(obj.error));
        else resolve(obj as T);
      });
      this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}
