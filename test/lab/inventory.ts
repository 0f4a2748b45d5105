// The lab's vCenter inventory, and the oracle of what each switch port must carry, computed
// from the simulator's own dump (not from the agent) with the lab's fixed cabling: every
// host's vmnic0 goes to one switch port.

import type { DumpHost, DumpVlan, VcsimDump, VcsimSpec, VcsimVm } from '../helpers/vcsim.js';

export const UPLINK = 'vmnic0';
/** On every port from the start (a parking VLAN the agent never removes: staticVlans). */
export const STATIC_VLANS = [1];
export const IGNORED_NETWORKS = ['Management Network'];

const vm = (name: string, host: number, networks: string[], powerOn = true): VcsimVm => ({
  name,
  host: `esx-${String(host).padStart(2, '0')}.lab`,
  nics: networks.map((network) => ({ network })),
  powerOn,
});

/**
 * 4 hosts, one pNIC each (vmnic0, MAC 00:50:56:aa:HH:00 as the host's lldpd advertises),
 * carrying both vSwitch0 (standard portgroups; `web` is VLAN 111 on esx-04: standard
 * portgroups belong to their host) and the distributed switch's uplink. 20 VMs; one powered
 * off; `backup-01` is the only VM on VLAN 130, the one a vMotion visibly moves.
 */
export function labSpec(): VcsimSpec {
  return {
    hosts: [
      { name: 'esx-01.lab' },
      { name: 'esx-02.lab' },
      { name: 'esx-03.lab' },
      { name: 'esx-04.lab', portgroups: [{ name: 'web', vlan: 111 }] },
    ],
    pnicCount: 1,
    vswitches: [{ name: 'vSwitch0', uplinks: [UPLINK] }],
    portgroups: [
      { name: 'web', vlan: 110 },
      { name: 'db', vlan: 120 },
      { name: 'backup', vlan: 130 },
    ],
    switches: [{ name: 'DSwitch', uplinks: [UPLINK], portgroups: [{ name: 'dv-app', vlan: 300 }] }],
    vms: [
      vm('web-01', 1, ['web']),
      vm('web-02', 1, ['web']),
      vm('app-01', 1, ['dv-app']),
      vm('backup-01', 1, ['backup']),
      vm('db-06', 1, ['db']),
      vm('web-03', 2, ['web']),
      vm('web-07', 2, ['web']),
      vm('db-01', 2, ['db']),
      vm('app-02', 2, ['dv-app']),
      vm('app-03', 2, ['dv-app']),
      vm('db-02', 3, ['db']),
      vm('db-03', 3, ['db']),
      vm('app-04', 3, ['dv-app']),
      vm('app-05', 3, ['dv-app', 'db']),
      vm('web-04', 3, ['web']),
      vm('web-05', 4, ['web']),
      vm('web-06', 4, ['web']),
      vm('db-04', 4, ['db']),
      vm('db-05', 4, ['db']),
      vm('old-01', 4, ['dv-app'], false),
    ],
  };
}

function vlansOf(v: DumpVlan | null | undefined): number[] {
  if (!v) return [];
  switch (v.kind) {
    case 'vlan':
      return [v.vlan];
    case 'pvlan':
      return [v.primary, v.secondary];
    case 'trunk': {
      const out: number[] = [];
      for (const r of v.ranges) {
        if (r.from <= 1 && r.to >= 4094) return []; // "all VLANs" is never provisioned
        for (let x = r.from; x <= r.to; x++) out.push(x);
      }
      return out;
    }
    default:
      return [];
  }
}

export interface Need {
  vlan: number;
  /** VM names that need it here */
  vms: string[];
}

/** What host's vmnic0 needs (rule 1): VLAN → VMs, for its powered-on VMs. */
export function hostNeeds(dump: VcsimDump, host: DumpHost): Map<number, string[]> {
  const nets = new Map(dump.networks.map((n) => [n.moid, n]));
  const dvsOnUplink = new Set(host.dvs.filter((d) => d.uplinks.includes(UPLINK)).map((d) => d.dvs));
  const need = new Map<number, string[]>();
  for (const v of dump.vms) {
    if (v.host !== host.moid || v.powerState !== 'poweredOn' || v.template) continue;
    for (const nic of v.vnics) {
      const net = nic.network ? nets.get(nic.network) : undefined;
      if (!net || !nic.connected || IGNORED_NETWORKS.includes(net.name)) continue;
      let vlans: number[] = [];
      if (net.kind === 'standard') {
        const pg = host.portgroups.find((p) => p.name === net.name && p.uplinks.includes(UPLINK));
        vlans = vlansOf(pg?.vlan);
      } else if (net.dvs && dvsOnUplink.has(net.dvs)) {
        vlans = vlansOf(net.vlan);
      }
      for (const x of vlans) {
        if (x < 2 || x > 4093) continue;
        const list = need.get(x) ?? [];
        if (!list.includes(v.name)) list.push(v.name);
        need.set(x, list);
      }
    }
  }
  return need;
}

/** The trunks port P must show once converged: static VLANs plus every needed one. */
export function expectedTrunks(dump: VcsimDump, hostName: string): number[] {
  const host = dump.hosts.find((h) => h.name === hostName);
  if (!host) return [...STATIC_VLANS];
  return [...new Set([...STATIC_VLANS, ...hostNeeds(dump, host).keys()])].sort((a, b) => a - b);
}
