// Builders for facts and policies in core and controller tests: a small vSphere world
// (hosts with vmnics and portgroups, VMs with vNICs) and the LLDP neighbours that see it.

import { FactBook } from '../../agent/core/facts.js';
import type { Policy, PortPolicy } from '../../agent/core/types.js';
import type { DevicePort, HostFact, HostPortgroup, Neighbor, NetworkFact, PowerState, VlanSpec, VmFact } from '../../shared/model.js';

export const VC = 'vc1';

export function basePolicy(over: Partial<Policy> = {}, defaults: Partial<PortPolicy> = {}): Policy {
  return {
    switchName: 'leaf1',
    mode: 'enforce',
    include: ['Ethernet*', 'swp*', 'p*'],
    defaults: { staticVlans: [1], maxVlans: 500, pruneHoldDownMs: 300_000, adopt: false, neighbor: null, ...defaults },
    overrides: {},
    networks: { default: 'portgroup', map: [], ignore: [] },
    allowedVlans: [{ from: 2, to: 4093 }],
    protectedVlans: [1],
    maxRemovalsPerPlan: 20,
    maxVlanMembers: 4000,
    vcenters: [VC],
    overlay: null,
    ...over,
  };
}

export function port(name: string, trunks: number[], interfaces: string[] = [name]): DevicePort {
  return { name, interfaces, trunks: [...trunks].sort((a, b) => a - b), tag: null, ifIndex: null };
}

export class World {
  readonly book = new FactBook();
  private mac = 0;

  host(name: string, portgroups: { name: string; vlan: VlanSpec | number; uplinks?: string[] | null }[] = [], nics = ['vmnic0', 'vmnic1'], vc = VC): HostFact {
    const key = `${vc}/host-${name}`;
    const pgs: HostPortgroup[] = portgroups.map((p) => ({
      name: p.name,
      vlan: typeof p.vlan === 'number' ? { kind: 'vlan', vlan: p.vlan } : p.vlan,
      uplinks: p.uplinks === undefined ? nics : p.uplinks,
    }));
    const h: HostFact = {
      key,
      vcenter: vc,
      moid: `host-${name}`,
      name,
      pnics: nics.map((device) => ({ device, mac: this.nextMac() })),
      portgroups: pgs,
      dvs: [],
      vmknics: [],
    };
    this.book.upsertHost(h);
    for (const pg of pgs) this.standardNetwork(pg.name, vc);
    return h;
  }

  standardNetwork(name: string, vc = VC): NetworkFact {
    const key = `${vc}/network-${name}`;
    const existing = this.book.networks.get(key);
    if (existing) return existing;
    const n: NetworkFact = { key, vcenter: vc, moid: `network-${name}`, name, kind: 'standard', vlan: null, dvs: null };
    this.book.upsertNetwork(n);
    return n;
  }

  dvpg(name: string, vlan: VlanSpec, dvs = 'dvs-1', vc = VC): NetworkFact {
    const n: NetworkFact = { key: `${vc}/dvpg-${name}`, vcenter: vc, moid: `dvpg-${name}`, name, kind: 'distributed', vlan, dvs };
    this.book.upsertNetwork(n);
    return n;
  }

  joinDvs(host: HostFact, dvs: string, uplinks: string[]): void {
    this.book.upsertHost({ ...host, dvs: [...host.dvs, { dvs, uplinks }] });
  }

  vm(name: string, host: HostFact | null, networks: (string | NetworkFact)[], power: PowerState = 'poweredOn', vc = VC): VmFact {
    const vm: VmFact = {
      key: `${vc}/vm-${name}`,
      vcenter: vc,
      moid: `vm-${name}`,
      name,
      uuid: null,
      powerState: power,
      template: false,
      host: host?.key ?? null,
      vnics: networks.map((n, i) => ({
        key: 4000 + i,
        mac: this.nextMac(),
        network: typeof n === 'string' ? `${vc}/network-${n}` : n.key,
        connected: true,
      })),
    };
    this.book.upsertVm(vm);
    return vm;
  }

  lldp(iface: string, sysName: string, portId: string, at = 0, ttl = 65535): Neighbor {
    const n: Neighbor = {
      iface,
      protocol: 'lldp',
      chassisId: `00:50:56:00:00:${(this.mac++ & 0xff).toString(16).padStart(2, '0')}`,
      chassisIdSubtype: 4,
      portId,
      portIdSubtype: 5,
      sysName,
      sysDescr: 'VMware ESXi 8.0.2',
      portDescr: portId,
      mgmtAddresses: [],
      ttl,
      lastSeen: at,
      lastChange: at,
    } as Neighbor;
    this.book.neighborSeen(n);
    return n;
  }

  synced(at = 0): void {
    this.book.sourceStatus({ name: VC, state: 'synced', lastSync: at });
  }

  private nextMac(): string {
    const n = ++this.mac;
    return `00:50:56:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  }
}
