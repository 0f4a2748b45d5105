// A read-only OID tree: an ordered list of segments, each answering get / get-next for the
// OIDs under its prefix in O(log n). Scalars and handed-in rows (LLDP-MIB) are one sorted
// array; our tables are *virtual*: rows sorted by integer index plus column functions, so a
// lookup is a binary search over row indexes and a value is computed only when it is sent.
// Building the tree is O(rows) (a sortedness check) instead of materialising rows × columns,
// and a walk never scans (the stock net-snmp provider scans per request: quadratic).

import { compareOids, isPrefix, T, type Value, type Varbind } from './varbind.js';

export interface Segment {
  /** every OID this segment serves starts with prefix; segments' prefixes do not overlap */
  readonly prefix: readonly number[];
  get(oid: readonly number[]): Varbind | 'noSuchInstance' | null;
  /** first instance > oid (>= when include); oid is anywhere (before, inside or after prefix) */
  next(oid: readonly number[], include: boolean): Varbind | null;
}

/** Sorted, materialised instances (scalars, rows from other modules). */
export class StaticSegment implements Segment {
  readonly entries: readonly Varbind[];

  constructor(
    readonly prefix: readonly number[],
    entries: Varbind[],
  ) {
    let sorted = true;
    for (let i = 1; i < entries.length; i++) {
      if (compareOids(entries[i - 1]!.oid, entries[i]!.oid) >= 0) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      const s = [...entries].sort((a, b) => compareOids(a.oid, b.oid));
      entries = s.filter((e, i) => i === 0 || compareOids(s[i - 1]!.oid, e.oid) !== 0);
    }
    this.entries = entries;
  }

  private lowerBound(oid: readonly number[]): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOids(this.entries[mid]!.oid, oid) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(oid: readonly number[]): Varbind | 'noSuchInstance' | null {
    const i = this.lowerBound(oid);
    const e = this.entries[i];
    if (e && compareOids(e.oid, oid) === 0) return e;
    // The object exists when an instance under the requested OID's parent sits on either side.
    const parent = oid.slice(0, -1);
    if (parent.length < this.prefix.length) return null;
    const before = this.entries[i - 1];
    return (e && isPrefix(parent, e.oid)) || (before && isPrefix(parent, before.oid)) ? 'noSuchInstance' : null;
  }

  next(oid: readonly number[], include: boolean): Varbind | null {
    let i = this.lowerBound(oid);
    const e = this.entries[i];
    if (e && !include && compareOids(e.oid, oid) === 0) i++;
    return this.entries[i] ?? null;
  }
}

/** A few instances computed at each request (uptime, live counters): never stale, never cached. */
export class DynamicSegment implements Segment {
  constructor(
    readonly prefix: readonly number[],
    private readonly entries: () => Varbind[],
  ) {}

  get(oid: readonly number[]): Varbind | null {
    return this.entries().find((e) => compareOids(e.oid, oid) === 0) ?? null;
  }

  next(oid: readonly number[], include: boolean): Varbind | null {
    for (const e of this.entries()) {
      const c = compareOids(e.oid, oid);
      if (c > 0 || (include && c === 0)) return e;
    }
    return null;
  }
}

export type Cell = [type: number, value: Value];

export interface Column<R> {
  column: number;
  cell: (row: R) => Cell;
}

/** A conceptual table: INDEX is one integer; instances are entry.column.index. */
export class TableSegment<R> implements Segment {
  readonly prefix: readonly number[];
  private readonly indexes: number[];
  private readonly rows: R[];
  private readonly columns: Column<R>[];

  constructor(entry: readonly number[], rows: readonly R[], index: (r: R) => number, columns: Column<R>[]) {
    this.prefix = entry;
    this.columns = [...columns].sort((a, b) => a.column - b.column);
    let pairs = rows.map((r) => ({ r, i: index(r) }));
    let sorted = true;
    for (let k = 0; k < pairs.length; k++) {
      const i = pairs[k]!.i;
      if (!Number.isInteger(i) || i < 1 || i > 0x7fffffff || (k > 0 && pairs[k - 1]!.i >= i)) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      pairs = pairs.filter((p) => Number.isInteger(p.i) && p.i >= 1 && p.i <= 0x7fffffff).sort((a, b) => a.i - b.i);
      pairs = pairs.filter((p, k) => k === 0 || pairs[k - 1]!.i !== p.i);
    }
    this.indexes = pairs.map((p) => p.i);
    this.rows = pairs.map((p) => p.r);
  }

  get size(): number {
    return this.rows.length * this.columns.length;
  }

  private instance(c: Column<R>, k: number): Varbind {
    const [type, value] = c.cell(this.rows[k]!);
    return { oid: [...this.prefix, c.column, this.indexes[k]!], type, value };
  }

  /** first row position with index > i (or >= when include) */
  private rowAfter(i: number, include: boolean): number {
    let lo = 0;
    let hi = this.indexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.indexes[mid]!;
      if (v < i || (v === i && !include)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private columnAt(col: number): number {
    let k = 0;
    while (k < this.columns.length && this.columns[k]!.column < col) k++;
    return k;
  }

  get(oid: readonly number[]): Varbind | 'noSuchInstance' | null {
    const p = this.prefix.length;
    if (oid.length < p + 1 || !isPrefix(this.prefix, oid)) return null;
    const c = this.columns.find((x) => x.column === oid[p]);
    if (!c) return null;
    if (oid.length !== p + 2) return 'noSuchInstance';
    const k = this.rowAfter(oid[p + 1]!, true);
    if (k < this.indexes.length && this.indexes[k] === oid[p + 1]) return this.instance(c, k);
    return 'noSuchInstance';
  }

  next(oid: readonly number[], include: boolean): Varbind | null {
    if (this.rows.length === 0 || this.columns.length === 0) return null;
    const p = this.prefix.length;
    const cmp = compareOids(oid.slice(0, p), this.prefix);
    if (cmp < 0 || (cmp === 0 && oid.length === p)) return this.instance(this.columns[0]!, 0);
    if (cmp > 0) return null;
    // oid is inside the entry: [prefix, col, index, ...]
    const col = oid[p]!;
    let ck = this.columnAt(col);
    if (ck >= this.columns.length) return null;
    if (this.columns[ck]!.column > col || oid.length === p + 1) return this.instance(this.columns[ck]!, 0);
    const idx = oid[p + 1]!;
    // [col, idx] itself qualifies only with include and no further arcs; [col, idx, x] is past idx
    const k = this.rowAfter(idx, include && oid.length === p + 2);
    if (k < this.indexes.length) return this.instance(this.columns[ck]!, k);
    ck++;
    return ck < this.columns.length ? this.instance(this.columns[ck]!, 0) : null;
  }
}

export class OidTree {
  private readonly segments: Segment[];

  constructor(segments: Segment[]) {
    this.segments = [...segments].sort((a, b) => compareOids(a.prefix, b.prefix));
  }

  /** Index of the segment containing oid, or of the first segment after it. */
  private segmentFrom(oid: readonly number[]): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.segments[mid]!;
      // s is entirely before oid when oid > prefix and oid does not start with prefix
      if (compareOids(s.prefix, oid) < 0 && !isPrefix(s.prefix, oid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The exact instance, or a NoSuchInstance/NoSuchObject exception varbind. */
  get(oid: number[]): Varbind {
    const s = this.segments[this.segmentFrom(oid)];
    const found = s && isPrefix(s.prefix, oid) ? s.get(oid) : null;
    if (found === 'noSuchInstance') return { oid, type: T.NoSuchInstance, value: null };
    return found ?? { oid, type: T.NoSuchObject, value: null };
  }

  /** The first instance after oid (at it when include), before end when end is non-empty. */
  next(oid: readonly number[], include = false, end?: readonly number[]): Varbind | null {
    for (let k = this.segmentFrom(oid); k < this.segments.length; k++) {
      const found = this.segments[k]!.next(oid, include);
      if (found) return end && end.length > 0 && compareOids(found.oid, end) >= 0 ? null : found;
    }
    return null;
  }

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
    const cursors = oids.slice(n);
    if (cursors.length === 0) return out;
    for (let r = 0; r < Math.max(0, maxRepetitions); r++) {
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
 * `invalidate()`. Building is O(rows): it only snapshots the view's arrays.
 */
export class TreeCache {
  private tree: OidTree | null = null;
  private builtAt = 0;

  constructor(
    private readonly build: () => Segment[],
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
