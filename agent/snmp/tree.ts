// A read-only OID tree: every instance the agent serves, in one array sorted by OID, so that
// get and get-next are a binary search (O(log n)) instead of the stock net-snmp provider's
// per-request table scan (quadratic over a walk). Built from a snapshot on demand and cached
// for a short time: a 10k-row walk reads a consistent table without rebuilding per request.

import { compareOids, isPrefix, T, type Varbind } from './varbind.js';

export class OidTree {
  /** sorted by OID, no duplicates */
  readonly entries: readonly Varbind[];

  constructor(entries: Varbind[]) {
    let sorted = true;
    for (let i = 1; i < entries.length; i++) {
      if (compareOids(entries[i - 1]!.oid, entries[i]!.oid) >= 0) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      entries = [...entries].sort((a, b) => compareOids(a.oid, b.oid));
      entries = entries.filter((e, i) => i === 0 || compareOids(entries[i - 1]!.oid, e.oid) !== 0);
    }
    this.entries = entries;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Index of the first entry with OID >= oid (entries.length if none). */
  lowerBound(oid: readonly number[]): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOids(this.entries[mid]!.oid, oid) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The exact instance, or a NoSuchInstance/NoSuchObject exception varbind. */
  get(oid: number[]): Varbind {
    const i = this.lowerBound(oid);
    const e = this.entries[i];
    if (e && compareOids(e.oid, oid) === 0) return e;
    // Something lives under the requested OID's parent: the object exists, the instance not.
    const parent = oid.slice(0, -1);
    const exists = parent.length > 0 && e !== undefined && isPrefix(parent, e.oid);
    return { oid, type: exists ? T.NoSuchInstance : T.NoSuchObject, value: null };
  }

  /** The first instance after oid (or at it when `include`), before `end` if given; null at the end. */
  next(oid: readonly number[], include = false, end?: readonly number[]): Varbind | null {
    let i = this.lowerBound(oid);
    const e = this.entries[i];
    if (e && !include && compareOids(e.oid, oid) === 0) i++;
    const found = this.entries[i];
    if (!found) return null;
    if (end && end.length > 0 && compareOids(found.oid, end) >= 0) return null;
    return found;
  }

  /** GetNext semantics: the next instance or EndOfMibView. */
  getNext(oid: number[]): Varbind {
    return this.next(oid) ?? { oid, type: T.EndOfMibView, value: null };
  }

  /**
   * GetBulk (RFC 3416 §4.2.3): the first `nonRepeaters` OIDs get one getNext each, the rest
   * `maxRepetitions` rounds; stops early when every repeater hit the end or `limit` varbinds.
   */
  getBulk(oids: number[][], nonRepeaters: number, maxRepetitions: number, limit = 10_000): Varbind[] {
    const out: Varbind[] = [];
    const n = Math.max(0, Math.min(nonRepeaters, oids.length));
    for (let i = 0; i < n; i++) out.push(this.getNext(oids[i]!));
    const reps = oids.slice(n);
    if (reps.length === 0) return out;
    const cursors = reps.map((o) => o);
    const rounds = Math.max(0, maxRepetitions);
    for (let r = 0; r < rounds; r++) {
      let allEnded = true;
      for (let j = 0; j < cursors.length; j++) {
        const vb = this.getNext(cursors[j]!);
        out.push(vb);
        if (vb.type !== T.EndOfMibView) {
          allEnded = false;
          cursors[j] = vb.oid;
        }
        if (out.length >= limit) return out;
      }
      if (allEnded) break;
    }
    return out;
  }
}

/**
 * Holds the current tree: rebuilt by `build` at most every `ttlMs`, or at once after
 * `invalidate()`. The build is synchronous and cheap relative to the walk it serves.
 */
export class TreeCache {
  private tree: OidTree | null = null;
  private builtAt = 0;

  constructor(
    private readonly build: () => Varbind[],
    private readonly ttlMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  current(): OidTree {
    const t = this.now();
    if (!this.tree || t - this.builtAt >= this.ttlMs) {
      this.tree = new OidTree(this.build());
      this.builtAt = t;
    }
    return this.tree;
  }

  invalidate(): void {
    this.tree = null;
  }
}
