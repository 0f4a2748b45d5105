// RFC 7047 §5.1 notation: sets as ["set", [...]] (a one-element set may come as the bare
// atom), maps as ["map", [[k, v], …]], uuids as ["uuid", "…"]. Helpers to read and write them,
// plus the shapes of transact results and monitor updates.

import { VmtraceError } from '../../../shared/errors.js';

export type OvsdbRow = Record<string, unknown>;

/** table → row uuid → { old?, new? } (monitor v1 "table-updates") */
export type TableUpdates = Record<string, Record<string, { old?: OvsdbRow; new?: OvsdbRow }>>;

export interface OpResult {
  count?: number;
  rows?: OvsdbRow[];
  uuid?: unknown;
  error?: string;
  details?: string;
}

export function ovsSet(values: unknown[]): unknown {
  return ['set', values];
}

export function ovsUuid(id: string): unknown {
  return ['uuid', id];
}

export function ovsNamedUuid(name: string): unknown {
  return ['named-uuid', name];
}

export function ovsMap(entries: [unknown, unknown][]): unknown {
  return ['map', entries];
}

function isTagged(v: unknown, tag: string): v is [string, unknown] {
  return Array.isArray(v) && v.length === 2 && v[0] === tag;
}

/** The atoms of a set-typed column value. */
export function setAtoms(v: unknown): unknown[] {
  if (isTagged(v, 'set')) return Array.isArray(v[1]) ? v[1] : [];
  if (v === undefined || v === null) return [];
  return [v];
}

export function uuidOf(v: unknown): string | null {
  return isTagged(v, 'uuid') && typeof v[1] === 'string' ? v[1] : null;
}

export function uuidSet(v: unknown): string[] {
  return setAtoms(v)
    .map(uuidOf)
    .filter((u): u is string => u !== null);
}

export function intSet(v: unknown): number[] {
  return setAtoms(v).filter((a): a is number => typeof a === 'number' && Number.isInteger(a));
}

/** An optional integer column (min 0, max 1): a bare integer or an empty set. */
export function optionalInt(v: unknown): number | null {
  const a = intSet(v);
  return a.length > 0 ? a[0]! : null;
}

export function stringSet(v: unknown): string[] {
  return setAtoms(v).filter((a): a is string => typeof a === 'string');
}

export function mapEntries(v: unknown): [unknown, unknown][] {
  if (!isTagged(v, 'map') || !Array.isArray(v[1])) return [];
  return (v[1] as unknown[]).filter((e): e is [unknown, unknown] => Array.isArray(e) && e.length === 2);
}

/** Checks a transact answer is an array of op results; throws OVSDB_ERROR otherwise. */
export function asResults(answer: unknown, endpoint: string): OpResult[] {
  if (!Array.isArray(answer)) {
    throw new VmtraceError('OVSDB_ERROR', `OVSDB at ${endpoint} answered transact with ${JSON.stringify(answer)?.slice(0, 200)}`);
  }
  return answer.map((r) => (typeof r === 'object' && r !== null ? (r as OpResult) : {}));
}

/** Index of the first failed operation (or the commit error past the ops), or -1. */
export function firstError(results: OpResult[]): number {
  return results.findIndex((r) => typeof r.error === 'string');
}

export function describeOpError(r: OpResult): string {
  return r.details ? `${r.error}: ${r.details}` : String(r.error);
}

/** Row name as a string, '' when absent. */
export function nameOf(row: OvsdbRow | undefined): string {
  const n = row?.['name'];
  return typeof n === 'string' ? n : '';
}
