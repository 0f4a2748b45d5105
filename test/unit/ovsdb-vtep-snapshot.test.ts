import { describe, expect, it } from 'vitest';
import { parseSnapshot, snapshotState } from '../../agent/drivers/ovsdb/vtep-snapshot.js';
import { buildVtepTransaction } from '../../agent/drivers/ovsdb/vtep-txn.js';

const uuid = (id: string) => ['uuid', id];
const set = (...v: unknown[]) => ['set', v];

/** select results in SNAPSHOT_OPS order */
function results(switches: { uuid: string; name: string; ports: string[] }[]) {
  return [
    { rows: switches.map((s) => ({ _uuid: uuid(s.uuid), name: s.name, ports: set(...s.ports.map(uuid)) })) },
    {
      rows: [
        { _uuid: uuid('pp1'), name: 'swp1', vlan_bindings: ['map', [[100, uuid('ls1')], [200, uuid('ls-nokey')]]] },
        { _uuid: uuid('pp2'), name: 'swp1', vlan_bindings: ['map', []] },
      ],
    },
    {
      rows: [
        { _uuid: uuid('ls1'), name: 'vmtrace-vni-5001', tunnel_key: 5001 },
        { _uuid: uuid('ls-nokey'), name: 'plain', tunnel_key: set() },
      ],
    },
    {
      rows: [
        { _uuid: uuid('loc1'), encapsulation_type: 'vxlan_over_ipv4', dst_ip: '192.0.2.10', tunnel_key: set() },
        { _uuid: uuid('loc2'), encapsulation_type: 'vxlan_over_ipv4', dst_ip: '192.0.2.11', tunnel_key: set() },
      ],
    },
    { rows: [{ _uuid: uuid('set1'), locators: set(uuid('loc2'), uuid('loc1')) }] },
    { rows: [{ _uuid: uuid('u1'), MAC: '00:50:56:AA:00:01', logical_switch: uuid('ls1'), locator: uuid('loc1') }] },
    {
      rows: [
        { _uuid: uuid('m1'), MAC: 'unknown-dst', logical_switch: uuid('ls1'), locator_set: uuid('set1') },
        { _uuid: uuid('m2'), MAC: 'unknown-dst', logical_switch: uuid('ls-nokey'), locator_set: uuid('set1') },
      ],
    },
  ];
}

describe('hardware_vtep snapshot', () => {
  it('reads the ports of the Physical_Switch named like the bridge; VNI-less logical switches are left out', () => {
    const snap = parseSnapshot(
      results([
        { uuid: 'ps1', name: 'br0', ports: ['pp1'] },
        { uuid: 'ps2', name: 'other', ports: ['pp2'] },
      ]),
      null,
      'br0',
      'unix:x',
    );
    expect(snapshotState(snap)).toEqual({
      bindings: [{ port: 'swp1', vlan: 100, vni: 5001 }],
      macs: [{ vni: 5001, mac: '00:50:56:aa:00:01', vtep: '192.0.2.10' }],
      flood: [{ vni: 5001, vteps: ['192.0.2.10', '192.0.2.11'] }],
    });
  });

  it('uses the only Physical_Switch whatever its name; refuses to guess among several', () => {
    expect(parseSnapshot(results([{ uuid: 'ps1', name: 'leaf1', ports: ['pp1'] }]), null, 'br0', 'unix:x').switchName).toBe('leaf1');
    const two = results([
      { uuid: 'ps1', name: 'a', ports: ['pp1'] },
      { uuid: 'ps2', name: 'b', ports: ['pp2'] },
    ]);
    expect(() => parseSnapshot(two, null, 'br0', 'unix:x')).toThrow(/Physical_Switch "br0" not found \(present: a, b\)/);
    expect(parseSnapshot(two, 'b', 'br0', 'unix:x').ports.get('swp1')!.uuid).toBe('pp2');
    expect(() => parseSnapshot(two, 'c', 'br0', 'unix:x')).toThrow(expect.objectContaining({ code: 'OVSDB_BRIDGE_MISSING' }));
  });

  it('builds no transaction for a diff already true on the device', () => {
    const snap = parseSnapshot(results([{ uuid: 'ps1', name: 'br0', ports: ['pp1'] }]), null, 'br0', 'unix:x');
    const state = snapshotState(snap);
    expect(buildVtepTransaction(snap, { add: state, remove: { bindings: [], macs: [], flood: [] } })).toBeNull();
    expect(
      buildVtepTransaction(snap, {
        add: { bindings: [], macs: [], flood: [] },
        remove: { bindings: [{ port: 'swp1', vlan: 100, vni: 9 }], macs: [{ vni: 5001, mac: '00:50:56:aa:00:01', vtep: '192.0.2.99' }], flood: [] },
      }),
    ).toBeNull();
  });

  it('refuses VNIs and VLANs out of range', () => {
    const snap = parseSnapshot(results([{ uuid: 'ps1', name: 'br0', ports: ['pp1'] }]), null, 'br0', 'unix:x');
    const none = { bindings: [], macs: [], flood: [] };
    expect(() => buildVtepTransaction(snap, { add: { ...none, bindings: [{ port: 'swp1', vlan: 5000, vni: 1 }] }, remove: none })).toThrow(/not a VLAN/);
    expect(() => buildVtepTransaction(snap, { add: { ...none, flood: [{ vni: 0, vteps: ['192.0.2.1'] }] }, remove: none })).toThrow(/not a VNI/);
  });
});
