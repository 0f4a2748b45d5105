// A fixed agent state as plain data, served through an AgentStateView: what the show and
// Prometheus tests put into the real SNMP agent and expect to read back. Values keep to what
// VMTRACE-MIB carries exactly (whole seconds, no VLAN 0/4095 in sets, reasons only on ports
// that are not ok), so a round trip must be lossless.

import { viewOf, type StatusSnapshot } from '../../shared/status.js';
import type {
  AgentSummary,
  EventStatus,
  NeighborStatus,
  PortStatus,
  VmStatus,
  VnicStatus,
  VtepStatus,
} from '../../shared/status.js';

export type StatusData = StatusSnapshot;
export { viewOf };

const T0 = Date.UTC(2026, 10, 25, 2, 0, 0);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function sampleStatus(): StatusData {
  return {
    summary: {
      switchName: 'leaf1',
      version: '0.1.0-test',
      mode: 'enforce',
      startedAt: T0,
      vcenters: [
        { name: 'vc1', state: 'synced', lastSync: T0 + 65_000, error: null },
        { name: 'vc2', state: 'disconnected', lastSync: null, error: 'connect ECONNREFUSED 192.0.2.9:443' },
      ],
      counts: { ports: 4, managedPorts: 3, hosts: 2, vms: 3, vnics: 4, neighbors: 3 },
      counters: {
        vlanAdds: 17,
        vlanRemoves: 4,
        plansApplied: 9,
        plansRefused: 1,
        limitRefusals: 2,
        applyErrors: 0,
        malformedFrames: 5_000_000_123,
        snmpBadPackets: 0,
      },
      lastChangeLatencyMs: 42,
      avgChangeLatencyMs: 37,
      frozen: true,
      frozenReason: 'vCenter vc2 disconnected',
    },
    ports: [
      {
        ifIndex: 3,
        name: 'swp3',
        neighborHost: 'esx-01.lab',
        neighborNic: 'vmnic0',
        neighborProtocol: 'lldp',
        managed: true,
        staticVlans: [1],
        vlans: [1, 110, 120, ...range(200, 220)],
        dynamicVlans: [110, 120, 130, ...range(200, 220)],
        ownedVlans: [110, 120, ...range(200, 220)],
        missingVlans: [130],
        surplusVlans: [],
        state: 'limit',
        reason: 'maxVlans 23 reached',
      },
      {
        ifIndex: 4,
        name: 'swp4',
        neighborHost: 'esx-02.lab',
        neighborNic: 'vmnic1',
        neighborProtocol: 'cdp',
        managed: true,
        staticVlans: [1, 99],
        vlans: [1, 99, 110, 4094],
        dynamicVlans: [],
        ownedVlans: [110],
        missingVlans: [],
        surplusVlans: [110],
        state: 'frozen',
        reason: 'vCenter vc2 disconnected',
      },
      {
        ifIndex: 7,
        name: 'bond0',
        neighborHost: null,
        neighborNic: null,
        neighborProtocol: null,
        managed: true,
        staticVlans: [1],
        vlans: [1],
        dynamicVlans: [],
        ownedVlans: [],
        missingVlans: [],
        surplusVlans: [],
        state: 'ok',
        reason: null,
      },
      {
        ifIndex: 1000,
        name: 'Ethernet49/1',
        neighborHost: 'blade-7',
        neighborNic: 'vmnic4',
        neighborProtocol: 'pinned',
        managed: false,
        staticVlans: [],
        vlans: range(1, 4094),
        dynamicVlans: [],
        ownedVlans: [],
        missingVlans: [],
        surplusVlans: [],
        state: 'ok',
        reason: null,
      },
    ],
    vms: [
      { index: 1, name: 'web-01', vcenter: 'vc1', moid: 'vm-17', uuid: '4210a1b2-c3d4-e5f6-0718-293a4b5c6d7e', powerState: 'poweredOn', host: 'esx-01.lab' },
      { index: 2, name: 'db-01 (ünïcode)', vcenter: 'vc1', moid: 'vm-18', uuid: null, powerState: 'poweredOff', host: 'esx-02.lab' },
      { index: 3, name: 'tmpl', vcenter: 'vc2', moid: 'vm-3', uuid: null, powerState: 'suspended', host: null },
    ],
    vnics: [
      { index: 1, vmIndex: 1, vmName: 'web-01', mac: '00:50:56:aa:bb:01', portgroup: 'prod-web', vlan: 110, vni: null, ifIndex: 3 },
      { index: 2, vmIndex: 1, vmName: 'web-01', mac: '00:50:56:aa:bb:02', portgroup: 'app-overlay', vlan: 300, vni: 5001, ifIndex: 3 },
      { index: 3, vmIndex: 2, vmName: 'db-01 (ünïcode)', mac: '00:50:56:aa:bb:03', portgroup: 'dvpg-db', vlan: 120, vni: null, ifIndex: 4 },
      { index: 4, vmIndex: 3, vmName: 'tmpl', mac: '00:50:56:aa:bb:04', portgroup: null, vlan: null, vni: null, ifIndex: null },
    ],
    vteps: [
      { index: 1, vni: 5001, vlan: 300, port: 'swp3', remoteMacs: 2, remoteVteps: ['198.51.100.11', '198.51.100.12'] },
      { index: 2, vni: 5002, vlan: null, port: null, remoteMacs: 0, remoteVteps: [] },
    ],
    events: [
      { index: 41, at: T0 + 1000, kind: 'vcenter-state', port: null, vlan: null, message: 'vc1 synced' },
      { index: 42, at: T0 + 61_000, kind: 'vlan-added', port: 'swp3', vlan: 110, message: 'web-01 powered on esx-01.lab' },
      { index: 43, at: T0 + 3_600_000, kind: 'limit-reached', port: 'swp3', vlan: 130, message: 'maxVlans 23 reached' },
    ],
    neighbors: [
      {
        ifIndex: 3,
        port: 'swp3',
        protocol: 'lldp',
        chassisId: '00:50:56:01:02:03',
        portId: 'vmnic0',
        sysName: 'esx-01.lab',
        sysDescr: 'VMware ESXi 8.0.2 build-22380479',
        mgmtAddresses: ['192.0.2.11', '2001:db8::11'],
        ttl: 120,
        host: 'esx-01.lab',
        nic: 'vmnic0',
      },
      {
        ifIndex: 4,
        port: 'swp4',
        protocol: 'cdp',
        chassisId: 'esx-02.lab',
        portId: 'vmnic1',
        sysName: null,
        sysDescr: null,
        mgmtAddresses: [],
        ttl: 180,
        host: 'esx-02.lab',
        nic: 'vmnic1',
      },
      {
        ifIndex: 0,
        port: 'swp9',
        protocol: 'lldp',
        chassisId: '52:54:00:00:00:09',
        portId: 'eth0',
        sysName: 'unknown-box',
        sysDescr: 'Linux',
        mgmtAddresses: ['192.0.2.99'],
        ttl: 120,
        host: null,
        nic: null,
      },
    ],
  };
}
