// Logging: pino JSON to stdout (journald keeps it). Every adapter takes a Logger; child loggers
// carry context (port, vcenter) as fields, never secrets.

import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.VMTRACE_LOG_LEVEL ?? 'info', to: 'stdout' | 'stderr' = 'stdout'): Logger {
  const opts = { level, base: { app: 'vmtrace' } };
  // one-shot commands keep stdout for their own output (`plan --json` stays valid JSON)
  return to === 'stderr' ? pino(opts, pino.destination(2)) : pino(opts);
}

/** A logger that drops everything: for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
