// The neighbour table of the LLDP/CDP source. Pure logic, time as an argument (the capture
// adapter owns the timers). Per interface, keyed by chassis id + port id; several neighbours per
// interface (up to a cap, as lldpd's max-neighbors); TTL aging; TTL 0 is a shutdown frame and
// removes the neighbour at once; an identical frame only refreshes its TTL (lastChange stays,
// which is the LLDP-MIB time mark). lldpRemIndex is lldpd's per-remote-chassis counter.

import type { Neighbor } from '../../../shared/model.js';
import type { NeighborContent } from './to-neighbor.js';

export type Observation =
  | { kind: 'new' | 'changed'; neighbor: Neighbor }
  | { kind: 'refreshed'; neighbor: Neighbor }
  /** TTL 0 of a known neighbour */
  | { kind: 'removed'; neighbor: Neighbor }
  /** TTL 0 of an unknown one, or the interface is full */
  | { kind: 'dropped'; reason: string };

interface Entry {
  n: Neighbor;
  /** content signature: identical frames compare equal */
  sig: string;
}

export function neighborKey(iface: string, chassisId: string, portId: string): string {
  return `${iface}\u0000${chassisId}\u0000${portId}`;
}

function chassisKey(n: NeighborContent): string {
  return `${n.protocol}\u0000${n.chassisIdSubtype}\u0000${n.chassisId}`;
}

export class NeighborTable {
  private readonly entries = new Map<string, Entry>();
  private readonly perIface = new Map<string, number>();
  /** chassis → { remIndex, references } */
  private readonly chassis = new Map<string, { index: number; refs: number }>();
  private lastIndex = 0;

  constructor(private readonly maxPerIface = 32) {}

  observe(content: NeighborContent, now: number): Observation {
    const key = neighborKey(content.iface, content.chassisId, content.portId);
    const old = this.entries.get(key);
    if (content.ttl === 0) {
      if (!old) return { kind: 'dropped', reason: 'shutdown frame from an unknown neighbour' };
      this.delete(key, old);
      return { kind: 'removed', neighbor: old.n };
    }
    const sig = signature(content);
    if (old && old.sig === sig) {
      old.n = { ...old.n, lastSeen: now };
      return { kind: 'refreshed', neighbor: old.n };
    }
    if (!old && (this.perIface.get(content.iface) ?? 0) >= this.maxPerIface) {
      return { kind: 'dropped', reason: `more than ${this.maxPerIface} neighbours on ${content.iface}` };
    }
    let remIndex = old?.n.remIndex;
    if (old && chassisKey(old.n) !== chassisKey(content)) {
      this.release(old.n);
      remIndex = undefined;
    }
    if (remIndex === undefined) remIndex = this.acquire(content);
    const n: Neighbor = { ...content, lastSeen: now, lastChange: now, remIndex };
    this.entries.set(key, { n, sig });
    if (!old) this.perIface.set(content.iface, (this.perIface.get(content.iface) ?? 0) + 1);
    return { kind: old ? 'changed' : 'new', neighbor: n };
  }

  /** Neighbours whose TTL ran out by `now`, removed. */
  expire(now: number): Neighbor[] {
    const gone: Neighbor[] = [];
    for (const [key, e] of this.entries) {
      if (e.n.lastSeen + e.n.ttl * 1000 <= now) {
        this.delete(key, e);
        gone.push(e.n);
      }
    }
    return gone;
  }

  /** When the next neighbour expires (ms since epoch), null when the table is empty. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const e of this.entries.values()) {
      const t = e.n.lastSeen + e.n.ttl * 1000;
      if (next === null || t < next) next = t;
    }
    return next;
  }

  /** All neighbours of one interface removed (the interface was deleted). */
  removeIface(iface: string): Neighbor[] {
    const gone: Neighbor[] = [];
    for (const [key, e] of this.entries) {
      if (e.n.iface === iface) {
        this.delete(key, e);
        gone.push(e.n);
      }
    }
    return gone;
  }

  all(): Neighbor[] {
    return [...this.entries.values()].map((e) => e.n);
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(key: string, e: Entry): void {
    this.entries.delete(key);
    const c = (this.perIface.get(e.n.iface) ?? 1) - 1;
    if (c > 0) this.perIface.set(e.n.iface, c);
    else this.perIface.delete(e.n.iface);
    this.release(e.n);
  }

  private acquire(n: NeighborContent): number {
    const k = chassisKey(n);
    const c = this.chassis.get(k);
    if (c) {
      c.refs++;
      return c.index;
    }
    this.lastIndex++;
    this.chassis.set(k, { index: this.lastIndex, refs: 1 });
    return this.lastIndex;
  }

  private release(n: NeighborContent): void {
    const k = chassisKey(n);
    const c = this.chassis.get(k);
    if (!c) return;
    if (--c.refs <= 0) this.chassis.delete(k);
  }
}

function signature(n: NeighborContent): string {
  return JSON.stringify([
    n.protocol, n.chassisIdSubtype, n.chassisIdRaw, n.portIdSubtype, n.portIdRaw, n.sysName, n.sysDescr,
    n.portDescr, n.mgmt, n.capabilities, n.ttl, n.cdp,
  ]);
}
