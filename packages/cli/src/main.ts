#!/usr/bin/env node
import { runCli } from './cli.js';

// The only place that reads process.env and process signals: everything below gets them injected.
const stopSignal = new Promise<string>((resolve) => {
  let asked = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (asked) {
        process.stderr.write(`weir: ${signal} again, exiting without waiting\n`);
        process.exit(130);
      }
      asked = true;
      resolve(signal);
    });
  }
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  stopSignal,
});
process.exit(code);
