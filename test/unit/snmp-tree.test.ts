// The OID tree against a brute-force oracle: every get / get-next / get-bulk answer equals what
// a linear scan over all instances, materialised and sorted, gives — for random tables, random
// row indexes (unsorted, duplicated, invalid) and random probe OIDs anywhere in the space.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OidTree, StaticSegment, TableSegment, TreeCache, type Segment } from '../../agent/snmp/tree.js';
import { compareOids, T, type Varbind } from '../../agent/snmp/varbind.js';
import { vmtraceSegments } from '../../agent/snmp/vmtrace-mib.js';
import { sampleData, viewOf } from '../helpers/snmp-view.js';

const BASE = [1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7, 1];

interface Model {
  segments: Segment[];
  all: Varbind[];
}

function build(tables: number[][], scalars: number): Model {
  const segments: Segment[] = [];
  const all: Varbind[] = [];
  const sc: Varbind[] = [];
  for (let s = 1; s <= scalars; s++) sc.push({ oid: [...BASE, 1, s, 0], type: T.Integer, value: s });
  segments.push(new StaticSegment([...BASE, 1], sc));
  all.push(...sc);
  tables.forEach((indexes, t) => {
    const entry = [...BASE, t + 2, 1];
    const rows = indexes.map((i) => ({ i }));
    const columns = [2, 3, 5].map((column) => ({ column, cell: (r: { i: number }) => [T.Gauge32, r.i * 10 + column] as [number, number] }));
    segments.push(new TableSegment(entry, rows, (r) => r.i, columns));
    const valid = [...new Set(indexes.filter((i) => Number.isInteger(i) && i >= 1 && i <= 0x7fffffff))].sort((a, b) => a - b);
    for (const c of [2, 3, 5]) for (const i of valid) all.push({ oid: [...entry, c, i], type: T.Gauge32, value: i * 10 + c });
  });
  all.sort((a, b) => compareOids(a.oid, b.oid));
  return { segments, all };
}

const oracleNext = (all: Varbind[], oid: number[], include = false, end: number[] = []) => {
  const f = all.find((v) => (include ? compareOids(v.oid, oid) >= 0 : compareOids(v.oid, oid) > 0));
  if (!f) return null;
  return end.length && compareOids(f.oid, end) >= 0 ? null : f;
};

const arbIndexes = fc.array(fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constantFrom(0, -3, 2 ** 31, 1.5)), { maxLength: 25 });
const arbProbe = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 0, maxLength: 16 }).map((tail) => [...BASE.slice(0, 6), ...tail]),
  fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 3 })).map(([t, c, rest]) => [...BASE, t, 1, c, ...rest]),
  fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 14 }),
);

describe('OidTree', () => {
  it('get-next (with include and end bounds) equals a linear scan', () => {
    fc.assert(
      fc.property(fc.array(arbIndexes, { maxLength: 4 }), fc.integer({ min: 0, max: 4 }), arbProbe, fc.boolean(), fc.option(arbProbe, { nil: undefined }), (tables, scalars, probe, include, end) => {
        const m = build(tables, scalars);
        const tree = new OidTree(m.segments);
        expect(tree.next(probe, include, end)).toEqual(oracleNext(m.all, probe, include, end));
        const gn = tree.getNext(probe);
        const want = oracleNext(m.all, probe);
        expect(gn).toEqual(want ?? { oid: probe, type: T.EndOfMibView, value: null });
      }),
      { numRuns: 3000 },
    );
  });

  it('get finds exactly the instances, and tells missing instances from missing objects', () => {
    fc.assert(
      fc.property(fc.array(arbIndexes, { maxLength: 4 }), fc.integer({ min: 0, max: 4 }), arbProbe, (tables, scalars, probe) => {
        const m = build(tables, scalars);
        const tree = new OidTree(m.segments);
        const exact = m.all.find((v) => compareOids(v.oid, probe) === 0);
        const got = tree.get(probe);
        if (exact) expect(got).toEqual(exact);
        else expect([T.NoSuchInstance, T.NoSuchObject]).toContain(got.type);
      }),
      { numRuns: 2000 },
    );
  });

  it('a scalar asked with a wrong instance is noSuchInstance; an unknown object noSuchObject', () => {
    const tree = new OidTree(build([], 3).segments);
    expect(tree.get([...BASE, 1, 2, 5]).type).toBe(T.NoSuchInstance);
    expect(tree.get([...BASE, 1, 3, 0, 0]).type).toBe(T.NoSuchInstance); // as net-snmp answers sysName.0.0
    expect(tree.get([...BASE, 1, 9, 0]).type).toBe(T.NoSuchObject);
    expect(tree.get([...BASE, 1, 2, 0]).value).toBe(2);
  });

  it('a whole walk visits every instance once, in order', () => {
    const m = build([[5, 1, 3, 3, 9], [], [2]], 3);
    const tree = new OidTree(m.segments);
    const seen: number[][] = [];
    let oid: number[] = [1, 3];
    for (;;) {
      const vb = tree.getNext(oid);
      if (vb.type === T.EndOfMibView) break;
      seen.push(vb.oid);
      oid = vb.oid;
    }
    expect(seen).toEqual(m.all.map((v) => v.oid));
  });

  it('get-bulk: non-repeaters once, repeaters interleaved, stops when all reach the end', () => {
    const m = build([[1, 2, 3]], 2);
    const tree = new OidTree(m.segments);
    const col2 = [...BASE, 2, 1, 2];
    const col5 = [...BASE, 2, 1, 5];
    const out = tree.getBulk([[...BASE, 1], col2, col5], 1, 4);
    expect(out.map((v) => [v.type, ...v.oid.slice(BASE.length)])).toEqual([
      [T.Integer, 1, 1, 0],
      [T.Gauge32, 2, 1, 2, 1], [T.Gauge32, 2, 1, 5, 1],
      [T.Gauge32, 2, 1, 2, 2], [T.Gauge32, 2, 1, 5, 2],
      [T.Gauge32, 2, 1, 2, 3], [T.Gauge32, 2, 1, 5, 3],
      [T.Gauge32, 2, 1, 3, 1], [T.EndOfMibView, 2, 1, 5, 3],
    ]);
    const endOnly = tree.getBulk([[9, 9]], 0, 5);
    expect(endOnly).toEqual([{ oid: [9, 9], type: T.EndOfMibView, value: null }]);
  });

  it('a 10,000-row view builds in milliseconds and walks in O(log n) per step', () => {
    const view = viewOf(sampleData(10_000));
    const t0 = performance.now();
    const tree = new OidTree(vmtraceSegments(view));
    const build = performance.now() - t0;
    expect(build).toBeLessThan(200); // materialising 70k instances took ~300-800 ms before
    let n = 0;
    let oid: number[] = [1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7, 1, 5];
    for (;;) {
      const vb = tree.getNext(oid);
      if (vb.type === T.EndOfMibView || vb.oid[11] !== 5) break;
      oid = vb.oid;
      n++;
    }
    expect(n).toBe(70_000);
  });

  it('the cache rebuilds after its time-to-live or an invalidate()', () => {
    let t = 0;
    let builds = 0;
    const cache = new TreeCache(() => (builds++, []), 1000, () => t);
    cache.current();
    cache.current();
    expect(builds).toBe(1);
    t = 999;
    cache.current();
    expect(builds).toBe(1);
    t = 1000;
    cache.current();
    expect(builds).toBe(2);
    cache.invalidate();
    cache.current();
    expect(builds).toBe(3);
  });
});
