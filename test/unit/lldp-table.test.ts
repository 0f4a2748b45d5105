// The neighbour table: TTL aging, shutdown frames, refresh vs change, several neighbours per
// interface, lldpRemIndex per remote chassis, the per-interface cap. Time is an argument.

import { describe, expect, it } from 'vitest';
import { NeighborTable } from '../../agent/sources/lldp/neighbor-table.js';
import type { NeighborContent } from '../../agent/sources/lldp/to-neighbor.js';

function content(over: Partial<NeighborContent> = {}): NeighborContent {
  return {
    iface: 'swp1',
    protocol: 'lldp',
    chassisId: '00:50:56:aa:bb:01',
    chassisIdSubtype: 4,
    chassisIdRaw: '005056aabb01',
    portId: 'vmnic0',
    portIdSubtype: 5,
    portIdRaw: '766d6e696330',
    sysName: 'esx-01.lab',
    sysDescr: 'VMware ESXi 8.0.2 build-22380479',
    portDescr: 'vmnic0',
    mgmtAddresses: ['192.0.2.11'],
    mgmt: [{ family: 1, address: '192.0.2.11', raw: 'c000020b', ifSubtype: 2, ifId: 2, oid: '' }],
    capabilities: { supported: 0x9c, enabled: 0x80 },
    ttl: 120,
    cdp: null,
    ...over,
  };
}

const T0 = 1_800_000_000_000;

describe('NeighborTable', () => {
  it('learns, refreshes without touching lastChange, and records a change', () => {
    const t = new NeighborTable();
    const a = t.observe(content(), T0);
    expect(a.kind).toBe('new');
    const b = t.observe(content(), T0 + 30_000);
    expect(b.kind).toBe('refreshed');
    if (b.kind !== 'refreshed') return;
    expect(b.neighbor.lastSeen).toBe(T0 + 30_000);
    expect(b.neighbor.lastChange).toBe(T0);
    const c = t.observe(content({ sysDescr: 'VMware ESXi 8.0.3' }), T0 + 60_000);
    expect(c.kind).toBe('changed');
    if (c.kind !== 'changed') return;
    expect(c.neighbor.lastChange).toBe(T0 + 60_000);
    expect(c.neighbor.remIndex).toBe(1);
    expect(t.size).toBe(1);
  });

  it.each([
    ['just before the TTL', 119_999, 0],
    ['at the TTL', 120_000, 1],
    ['well after', 500_000, 1],
  ])('expiry %s', (_label, after, gone) => {
    const t = new NeighborTable();
    t.observe(content(), T0);
    expect(t.nextExpiry()).toBe(T0 + 120_000);
    expect(t.expire(T0 + after)).toHaveLength(gone);
    expect(t.size).toBe(1 - gone);
  });

  it('a refresh pushes the expiry out', () => {
    const t = new NeighborTable();
    t.observe(content({ ttl: 4 }), T0);
    t.observe(content({ ttl: 4 }), T0 + 3000);
    expect(t.expire(T0 + 4000)).toEqual([]);
    expect(t.expire(T0 + 7000)).toHaveLength(1);
    expect(t.nextExpiry()).toBeNull();
  });

  it('TTL 0 (shutdown) removes at once; from an unknown neighbour it is dropped', () => {
    const t = new NeighborTable();
    expect(t.observe(content({ ttl: 0 }), T0).kind).toBe('dropped');
    t.observe(content(), T0);
    const r = t.observe(content({ ttl: 0, sysName: null }), T0 + 1);
    expect(r.kind).toBe('removed');
    expect(t.size).toBe(0);
  });

  it('keeps several neighbours per interface, keyed by chassis + port id', () => {
    const t = new NeighborTable();
    t.observe(content(), T0);
    t.observe(content({ portId: 'vmnic1', portIdRaw: '766d6e696331' }), T0);
    t.observe(content({ chassisId: '00:50:56:aa:bb:02', chassisIdRaw: '005056aabb02' }), T0);
    t.observe(content({ iface: 'swp2' }), T0);
    expect(t.size).toBe(4);
    expect(t.all().filter((n) => n.iface === 'swp1')).toHaveLength(3);
    // remote index per chassis: the same chassis on two ports shares it; a new chassis gets the next
    const idx = Object.fromEntries(t.all().map((n) => [`${n.iface}/${n.chassisId}/${n.portId}`, n.remIndex]));
    expect(idx).toEqual({
      'swp1/00:50:56:aa:bb:01/vmnic0': 1,
      'swp1/00:50:56:aa:bb:01/vmnic1': 1,
      'swp1/00:50:56:aa:bb:02/vmnic0': 2,
      'swp2/00:50:56:aa:bb:01/vmnic0': 1,
    });
    expect(t.removeIface('swp1')).toHaveLength(3);
    expect(t.size).toBe(1);
  });

  it('a chassis seen again after it was forgotten gets a fresh remote index (lldpd)', () => {
    const t = new NeighborTable();
    t.observe(content(), T0);
    t.expire(T0 + 200_000);
    const again = t.observe(content(), T0 + 300_000);
    expect(again.kind === 'new' && again.neighbor.remIndex).toBe(2);
  });

  it('caps neighbours per interface', () => {
    const t = new NeighborTable(2);
    expect(t.observe(content({ portId: 'a' }), T0).kind).toBe('new');
    expect(t.observe(content({ portId: 'b' }), T0).kind).toBe('new');
    expect(t.observe(content({ portId: 'c' }), T0).kind).toBe('dropped');
    expect(t.observe(content({ portId: 'a', sysName: 'x' }), T0).kind).toBe('changed');
  });
});
