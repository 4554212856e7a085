import pino from 'pino';
import type { Logger } from '@weir/core';

export interface PinoLoggerOptions {
  /** @default 'info' */
  level?: string;
  /** Human-readable lines instead of JSON. @default true when stdout is a TTY */
  pretty?: boolean;
  /** Where lines go. @default stdout */
  destination?: NodeJS.WritableStream;
}

/** Weir's `Logger` on pino: JSON lines in production, pretty on a terminal. */
export function createPinoLogger(options: PinoLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const base = pretty
    ? pino({ level }, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } }))
    : pino({ level }, options.destination ?? process.stdout);
  return wrap(base);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (fields, message) => p.debug(fields, message),
    info: (fields, message) => p.info(fields, message),
    warn: (fields, message) => p.warn(fields, message),
    error: (fields, message) => p.error(fields, message),
    child: (bindings) => wrap(p.child(bindings)),
  };
}
