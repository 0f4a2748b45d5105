import { describe, expect, it } from 'vitest';
import { buildTrunkTransaction, guardFailure, interpretTrunkResults } from '../../agent/drivers/ovsdb/trunk-txn.js';
import type { PortChange } from '../../shared/model.js';

const ch = (port: string, add: number[], remove: number[] = []): PortChange => ({
  port,
  add: add.map((vlan) => ({ vlan, rule: 1, reason: `vm needs ${vlan}` })),
  remove: remove.map((vlan) => ({ vlan, rule: 2, reason: 'hold-down over' })),
});

describe('buildTrunkTransaction', () => {
  it('is null for an empty change list or only empty changes (no transaction)', () => {
    expect(buildTrunkTransaction('Open_vSwitch', [])).toBeNull();
    expect(buildTrunkTransaction('Open_vSwitch', [ch('swp1', [])])).toBeNull();
  });

  it('follows each delta mutate with one guard: the port exists and its trunks are not empty', () => {
    const txn = buildTrunkTransaction('Open_vSwitch', [ch('swp1', [20, 10], [30])])!;
    const [db, mutate, guard, comment] = txn.params as [string, ...Record<string, unknown>[]];
    expect(db).toBe('Open_vSwitch');
    expect(mutate).toEqual({
      op: 'mutate',
      table: 'Port',
      where: [['name', '==', 'swp1']],
      mutations: [
        ['trunks', 'delete', ['set', [30]]],
        ['trunks', 'insert', ['set', [10, 20]]],
      ],
    });
    expect(guard).toEqual({
      op: 'wait',
      table: 'Port',
      timeout: 0,
      where: [
        ['name', '==', 'swp1'],
        ['trunks', '!=', ['set', []]],
      ],
      columns: ['name'],
      until: '==',
      rows: [{ name: 'swp1' }],
    });
    expect(comment).toMatchObject({ op: 'comment' });
    expect(String(comment!['comment'])).toContain('swp1 +10 +20 -30');
  });

  it('merges several changes of one port', () => {
    const txn = buildTrunkTransaction('Open_vSwitch', [ch('swp1', [10]), ch('swp1', [11], [12])])!;
    expect(txn.ports).toEqual(['swp1']);
    expect((txn.params[1] as { mutations: unknown }).mutations).toEqual([
      ['trunks', 'delete', ['set', [12]]],
      ['trunks', 'insert', ['set', [10, 11]]],
    ]);
  });

  it('refuses bad VLAN ids and a VLAN both added and removed', () => {
    expect(() => buildTrunkTransaction('db', [ch('swp1', [4096])])).toThrow(/not a VLAN id/);
    expect(() => buildTrunkTransaction('db', [ch('swp1', [10], [10])])).toThrow(/both adds and removes/);
  });
});

describe('interpretTrunkResults', () => {
  const txn = buildTrunkTransaction('Open_vSwitch', [ch('swp1', [10]), ch('swp2', [], [1])])!;
  const ok = [{ count: 1 }, {}, { count: 1 }, {}, {}];

  it('accepts a clean answer', () => {
    expect(interpretTrunkResults(txn, ok, 'unix:x')).toBeNull();
  });

  it('names the port whose guard tripped', () => {
    const r = [{ count: 1 }, {}, { count: 0 }, { error: 'timed out' }, null] as never[];
    expect(interpretTrunkResults(txn, r, 'unix:x')).toEqual({ guardTripped: 'swp2' });
  });

  it('tells a vanished port from an emptied trunk set (rule 8)', () => {
    expect(guardFailure('swp2', false)).toMatchObject({ code: 'OVSDB_CONFLICT', message: expect.stringContaining('"swp2" no longer exists') });
    expect(guardFailure('swp2', true)).toMatchObject({ code: 'OVSDB_CONFLICT', message: expect.stringContaining('no trunk VLANs') });
  });

  it('maps other op errors and a commit error to OVSDB_ERROR', () => {
    const r1 = [{ error: 'constraint violation', details: 'too many' }] as never[];
    expect(() => interpretTrunkResults(txn, r1, 'unix:x')).toThrow(expect.objectContaining({ code: 'OVSDB_ERROR', message: expect.stringContaining('constraint violation: too many') }));
    const r2 = [...ok, { error: 'referential integrity violation' }];
    expect(() => interpretTrunkResults(txn, r2, 'unix:x')).toThrow(expect.objectContaining({ code: 'OVSDB_ERROR', message: expect.stringContaining('(commit)') }));
    expect(() => interpretTrunkResults(txn, ok.slice(0, 3), 'unix:x')).toThrow(/answered 3 of 5/);
  });
});
