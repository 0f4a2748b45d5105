// An AgentStateView built from plain data, for the SNMP tests and bench: the agent serves
// whatever the view holds, so the tests can compare every walked value with these arrays.

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

export type ViewData = StatusSnapshot;
export { viewOf };

/** A small switch: two ports (one frozen), three VMs, vNICs, a VTEP, events, neighbours. */
export function sampleData(vnicRows = 4): ViewData {
  const vms: VmStatus[] = [
    { index: 1, name: 'web-01', vcenter: 'vc1', moid: 'vm-101', uuid: '4210aaaa-0000-0000-0000-000000000001', powerState: 'poweredOn', host: 'esx-01.lab' },
    { index: 2, name: 'db-01', vcenter: 'vc1', moid: 'vm-102', uuid: null, powerState: 'poweredOff', host: 'esx-02.lab' },
    { index: 3, name: 'app-ü', vcenter: 'vc2', moid: 'vm-7', uuid: null, powerState: 'suspended', host: null },
  ];
  const vnics: VnicStatus[] = [];
  for (let i = 1; i <= vnicRows; i++) {
    const vm = vms[(i - 1) % vms.length]!;
    vnics.push({
      index: i,
      vmIndex: vm.index,
      vmName: vm.name,
      mac: `00:50:56:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
      portgroup: i % 5 === 0 ? null : `pg-${100 + (i % 7)}`,
      vlan: i % 5 === 0 ? null : 100 + (i % 7),
      vni: i % 3 === 0 ? 5001 : null,
      ifIndex: i % 4 === 0 ? null : 2 + (i % 2),
    });
  }
  return {
    summary: {
      switchName: 'leaf1',
      version: '0.1.0',
      mode: 'enforce',
      startedAt: 1_764_000_000_000,
      vcenters: [
        { name: 'vc1', state: 'synced', lastSync: 1_764_000_100_000, error: null },
        { name: 'vc2', state: 'disconnected', lastSync: null, error: 'connect ECONNREFUSED 192.0.2.9:443' },
      ],
      counts: { ports: 2, managedPorts: 1, hosts: 2, vms: 3, vnics: vnicRows, neighbors: 2 },
      counters: {
        vlanAdds: 12,
        vlanRemoves: 3,
        plansApplied: 9,
        plansRefused: 1,
        limitRefusals: 2,
        applyErrors: 0,
        malformedFrames: 5,
        snmpBadPackets: 0,
      },
      lastChangeLatencyMs: 312,
      avgChangeLatencyMs: 290,
      frozen: true,
      frozenReason: 'vCenter vc2 is disconnected',
    },
    ports: [
      {
        ifIndex: 2,
        name: 'swp1',
        neighborHost: 'esx-01.lab',
        neighborNic: 'vmnic0',
        neighborProtocol: 'lldp',
        managed: true,
        staticVlans: [1],
        vlans: [1, 100, 101, 102, 110],
        dynamicVlans: [100, 101, 102, 110, 4000],
        ownedVlans: [100, 101, 102, 110],
        missingVlans: [4000],
        surplusVlans: [],
        state: 'limit',
        reason: 'VLAN 4000 outside allowedVlans',
      },
      {
        ifIndex: 3,
        name: 'swp2',
        neighborHost: null,
        neighborNic: null,
        neighborProtocol: null,
        managed: false,
        staticVlans: [],
        vlans: [20],
        dynamicVlans: [],
        ownedVlans: [20],
        missingVlans: [],
        surplusVlans: [20],
        state: 'frozen',
        reason: 'neighbour unknown',
      },
    ],
    vms,
    vnics,
    vteps: [{ index: 1, vni: 5001, vlan: 301, port: 'swp1', remoteMacs: 4, remoteVteps: ['198.51.100.11', '198.51.100.12'] }],
    events: [
      { index: 7, at: 1_764_000_200_000, kind: 'vlan-added', port: 'swp1', vlan: 110, message: 'web-01 powered on' },
      { index: 8, at: 1_764_000_260_000, kind: 'vcenter-state', port: null, vlan: null, message: 'vc2 disconnected' },
    ],
    neighbors: [
      {
        ifIndex: 2,
        port: 'swp1',
        protocol: 'lldp',
        chassisId: '00:50:56:aa:bb:01',
        portId: 'vmnic0',
        sysName: 'esx-01.lab',
        sysDescr: 'VMware ESXi 8.0.2',
        mgmtAddresses: ['192.0.2.11'],
        ttl: 120,
        host: 'esx-01.lab',
        nic: 'vmnic0',
      },
      {
        ifIndex: 3,
        port: 'swp2',
        protocol: 'cdp',
        chassisId: 'esx-02.lab',
        portId: 'vmnic1',
        sysName: null,
        sysDescr: null,
        mgmtAddresses: [],
        ttl: 180,
        host: null,
        nic: null,
      },
    ],
  };
}
