// The fact book: indexes stay in step, refreshes are silent, changes name what they touch.

import { describe, expect, it } from 'vitest';
import { FactBook, type FactChange } from '../../agent/core/facts.js';
import { World } from '../helpers/world.js';

describe('FactBook', () => {
  it('a neighbour refresh updates lastSeen without a change; new content is a change', () => {
    const changes: FactChange[] = [];
    const w = new World();
    (w.book as unknown as { onChange: (c: FactChange) => void }).onChange = (c) => changes.push(c);
    const n = w.lldp('swp1', 'esx-01', 'vmnic0', 1000, 120);
    expect(changes).toEqual([{ kind: 'neighbor', iface: 'swp1' }]);
    w.book.neighborSeen({ ...n, lastSeen: 61_000 });
    expect(changes).toHaveLength(1);
    expect(w.book.neighbors.get(`swp1\u0000${n.chassisId}\u0000vmnic0`)!.lastSeen).toBe(61_000);
    w.book.neighborSeen({ ...n, sysName: 'esx-02', lastSeen: 62_000 });
    expect(changes).toHaveLength(2);
  });

  it('keeps VMs indexed by host through moves and removals, and reports both hosts of a move', () => {
    const changes: FactChange[] = [];
    const book = new FactBook((c) => changes.push(c));
    const w = new World();
    const a = w.host('esx-a');
    const b = w.host('esx-b');
    for (const h of [a, b]) book.upsertHost(h);
    const vm = { key: 'vc1/vm-1', vcenter: 'vc1', moid: 'vm-1', name: 'v', uuid: null, powerState: 'poweredOn' as const, template: false, host: a.key, vnics: [] };
    book.upsertVm(vm);
    expect(book.vmsOnHost(a.key).map((v) => v.key)).toEqual(['vc1/vm-1']);
    changes.length = 0;
    book.upsertVm({ ...vm, host: b.key });
    expect(book.vmsOnHost(a.key)).toEqual([]);
    expect(book.vmsOnHost(b.key)).toHaveLength(1);
    expect(changes).toEqual([{ kind: 'vm', key: 'vc1/vm-1' }, { kind: 'host', key: a.key }]);
    book.removeVm(vm.key);
    expect(book.vmsOnHost(b.key)).toEqual([]);
  });

  it('a full resync replaces only that vCenter and ends migrations that arrived', () => {
    const book = new FactBook();
    const w = new World();
    const h1 = w.host('esx-1', [], ['vmnic0'], 'vc1');
    const h2 = w.host('esx-2', [], ['vmnic0'], 'vc2');
    book.replaceInventory('vc1', { hosts: [h1], networks: [], vms: [] });
    book.replaceInventory('vc2', { hosts: [h2], networks: [], vms: [] });
    book.replaceInventory('vc1', { hosts: [], networks: [], vms: [] });
    expect([...book.hosts.keys()]).toEqual([h2.key]);
    const vm = { key: 'vc2/vm-9', vcenter: 'vc2', moid: 'vm-9', name: 'x', uuid: null, powerState: 'poweredOn' as const, template: false, host: null, vnics: [] };
    book.upsertVm(vm);
    book.migrationStarted({ vm: vm.key, destHost: h2.key, at: 1 });
    book.upsertVm({ ...vm, host: h2.key });
    expect(book.migrations.size).toBe(0);
  });
});
