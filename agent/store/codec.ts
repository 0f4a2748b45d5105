// Rows ↔ domain values. The store writes only what it can read back; anything it cannot
// decode (a hand-edited row, a blob from a damaged page) is reported, never guessed at.

import { promisify } from 'node:util';
import { deflate, inflate } from 'node:zlib';
import type { JournalEntry, JournalKind, Neighbor } from '../../shared/model.js';
import type { Inventory } from '../core/facts.js';
import type { PortRecord } from '../core/types.js';
import type { SqlValue } from './connection.js';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

export interface LedgerRow {
  port: string;
  first_seen_at: number;
  initial_vlans: string;
  owned: string;
  unneeded_since: string;
}

/** Times are whole ms in INTEGER columns; a fractional one (a caller's arithmetic) is rounded, not refused. */
const ms = (t: number): number => Math.round(t);

/**
 * Refuses (the whole commit rolls back) a record the store could not read back: NaN would
 * become JSON null and make the ledger unreadable at the next start.
 */
export function ledgerParams(r: PortRecord): SqlValue[] {
  const bad = (what: string): Error => new Error(`ledger record for port ${JSON.stringify(r.port)}: ${what}`);
  if (!isVlanList(r.initialVlans)) throw bad('initialVlans holds a non-integer');
  if (!isVlanList(r.owned)) throw bad('owned holds a non-integer');
  if (!Number.isFinite(r.firstSeenAt)) throw bad('firstSeenAt is not a time');
  for (const [vlan, at] of Object.entries(r.unneededSince)) {
    if (!/^\d+$/.test(vlan) || !Number.isFinite(at)) throw bad(`bad hold-down timer ${vlan} → ${at}`);
  }
  return [r.port, ms(r.firstSeenAt), JSON.stringify(r.initialVlans), JSON.stringify(r.owned), JSON.stringify(r.unneededSince)];
}

function isVlanList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x));
}

/** Throws a plain Error naming the port when a row does not hold what the store wrote. */
export function decodeLedgerRow(row: LedgerRow): PortRecord {
  const initialVlans: unknown = JSON.parse(row.initial_vlans);
  const owned: unknown = JSON.parse(row.owned);
  const since: unknown = JSON.parse(row.unneeded_since);
  if (!isVlanList(initialVlans) || !isVlanList(owned) || since === null || typeof since !== 'object' || Array.isArray(since)) {
    throw new Error(`ledger row for port ${row.port} does not hold VLAN lists`);
  }
  const unneededSince: Record<number, number> = {};
  for (const [vlan, at] of Object.entries(since as Record<string, unknown>)) {
    if (!/^\d+$/.test(vlan) || typeof at !== 'number') throw new Error(`ledger row for port ${row.port} has a bad hold-down timer`);
    unneededSince[Number(vlan)] = at;
  }
  return { port: row.port, firstSeenAt: row.first_seen_at, initialVlans, owned, unneededSince };
}

export interface JournalRow {
  id: number;
  at: number;
  kind: string;
  port: string | null;
  vlan: number | null;
  message: string;
}

export function journalParams(e: JournalEntry): SqlValue[] {
  return [ms(e.at), e.kind, e.port, e.vlan, e.message];
}

export function decodeJournalRow(row: JournalRow): JournalEntry {
  // kinds are open-ended by design (a later version may add some): passed through as stored
  return { id: row.id, at: row.at, kind: row.kind as JournalKind, port: row.port, vlan: row.vlan, message: row.message };
}

/** Encodings of an inventory blob; the column says which, so a later version can change it. */
export type InventoryEncoding = 'json' | 'json+deflate';

/** JSON compresses ~10:1; zlib runs on the thread pool, so a 10k-VM snapshot does not stall the loop. */
export async function encodeInventory(inv: Inventory): Promise<{ encoding: InventoryEncoding; data: Buffer }> {
  const json = Buffer.from(JSON.stringify({ hosts: inv.hosts, networks: inv.networks, vms: inv.vms }), 'utf8');
  return { encoding: 'json+deflate', data: await deflateAsync(json, { level: 1 }) };
}

export async function decodeInventory(encoding: string, data: Buffer): Promise<Inventory> {
  let json: Buffer;
  if (encoding === 'json') json = data;
  else if (encoding === 'json+deflate') json = await inflateAsync(data);
  else throw new Error(`unknown inventory encoding ${JSON.stringify(encoding)}`);
  const v: unknown = JSON.parse(json.toString('utf8'));
  const inv = v as Partial<Inventory> | null;
  if (!inv || !Array.isArray(inv.hosts) || !Array.isArray(inv.networks) || !Array.isArray(inv.vms)) {
    throw new Error('inventory snapshot lacks hosts/networks/vms');
  }
  return { hosts: inv.hosts, networks: inv.networks, vms: inv.vms };
}

export function neighborParams(n: Neighbor): SqlValue[] {
  return [n.iface, n.chassisId, n.portId, JSON.stringify(n)];
}

/** Throws when the row is not a Neighbor the store wrote. */
export function decodeNeighbor(data: string): Neighbor {
  const n = JSON.parse(data) as Partial<Neighbor> | null;
  if (
    !n ||
    typeof n.iface !== 'string' ||
    typeof n.chassisId !== 'string' ||
    typeof n.portId !== 'string' ||
    typeof n.lastSeen !== 'number' ||
    typeof n.ttl !== 'number' ||
    !Array.isArray(n.mgmtAddresses)
  ) {
    throw new Error('neighbour row lacks iface/chassisId/portId/lastSeen/ttl');
  }
  return n as Neighbor;
}
