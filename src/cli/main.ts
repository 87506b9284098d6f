#!/usr/bin/env node
// The `ocng` executable (package.json bin). Everything else is in run.ts so tests can call it in-process.
import { run } from './run.js';

const code = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onSignal(handler) {
    const signals = ['SIGINT', 'SIGTERM'] as const;
    for (const s of signals) process.on(s, handler);
    return () => {
      for (const s of signals) process.off(s, handler);
    };
  },
});
process.exitCode = code;
