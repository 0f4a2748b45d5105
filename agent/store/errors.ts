// Maps what node-sqlite3 throws to VmtraceError codes, with one line that names the file: the
// CLI prints `message` as is, so it must say what happened and what the operator can do.

import { VmtraceError, errorMessage } from '../../shared/errors.js';

/** SQLite result codes that mean "the file itself is damaged or is not a database". */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);
/** Codes where waiting and retrying may succeed. */
const TRANSIENT_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR']);

/** node-sqlite3 puts the symbolic code on `code` (`SQLITE_CORRUPT`) and the message after it. */
export function sqliteCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** The message without node-sqlite3's `SQLITE_XXX: ` prefix. */
function plainMessage(err: unknown): string {
  return errorMessage(err).replace(/^SQLITE_[A-Z_]+: /, '');
}

export function corruptError(path: string, detail: string, cause?: unknown): VmtraceError {
  return new VmtraceError(
    'STORE_CORRUPT',
    `store ${path} is corrupt (${detail}); it was left untouched: move it aside to start with an empty store`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Any error from a store operation, as a VmtraceError. `doing` says what the store was doing
 * ("commit", "open"). VmtraceErrors pass through unchanged.
 */
export function toStoreError(err: unknown, path: string, doing: string): VmtraceError {
  if (err instanceof VmtraceError) return err;
  const code = sqliteCode(err);
  if (code && CORRUPT_CODES.has(code)) return corruptError(path, plainMessage(err), err);
  if (code === 'SQLITE_CANTOPEN') {
    return new VmtraceError('STORE_ERROR', `store ${path}: cannot open the file (${plainMessage(err)}); check the state directory's permissions`, { cause: err });
  }
  if (code === 'SQLITE_READONLY') {
    return new VmtraceError('STORE_ERROR', `store ${path}: the file is read-only (${plainMessage(err)})`, { cause: err });
  }
  const transient = code !== null && TRANSIENT_CODES.has(code);
  return new VmtraceError('STORE_ERROR', `store ${path}: ${doing} failed: ${plainMessage(err)}${code ? ` (${code})` : ''}`, {
    cause: err,
    transient,
  });
}
