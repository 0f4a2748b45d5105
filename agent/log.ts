// Logging: pino JSON to stdout (journald keeps it). Every adapter takes a Logger; child loggers
// carry context (port, vcenter) as fields, never secrets.

import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.VMTRACE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'vmtrace' } });
}

/** A logger that drops everything: for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
