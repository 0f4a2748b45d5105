// Which vCenter host NIC sits behind each switch interface (DESIGN §3 rule 1). Pure.
//
// A neighbour's system name (LLDP sysName, or the CDP Device-ID that CDP neighbours carry as
// their chassis id) is matched to a host name case-insensitively, with or without the domain;
// then its port ID (or port description) to one of that host's vmnic names. When that fails the
// chassis (or port) MAC is looked up among all pNIC MACs. Anything doubtful is an anomaly and no
// match, so it changes no VLAN: a neighbour matching nothing, a name that fits hosts in two
// vCenters (or two hosts), a MAC shared by hosts, two interfaces claiming one host NIC.

import type { HostFact, Neighbor, NeighborMatch } from '../../shared/model.js';

export interface MatchAnomaly {
  iface: string;
  reason: string;
}

export interface MatchResult {
  matches: NeighborMatch[];
  anomalies: MatchAnomaly[];
}

const CHASSIS_SUBTYPE_MAC = 4;
const PORT_SUBTYPE_MAC = 3;

function shortName(name: string): string {
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** Same host name: equal, or one side carries no domain and the first labels agree. */
export function sameHostName(a: string, b: string): boolean {
  const x = a.trim().toLowerCase().replace(/\.$/, '');
  const y = b.trim().toLowerCase().replace(/\.$/, '');
  if (!x || !y) return false;
  if (x === y) return true;
  const xd = x.includes('.');
  const yd = y.includes('.');
  if (xd && yd) return false;
  return shortName(x) === shortName(y);
}

function neighborNames(n: Neighbor): string[] {
  const names: string[] = [];
  if (n.sysName) names.push(n.sysName);
  // CDP: the Device-ID travels as a locally assigned chassis id (lldpd does the same)
  if (n.protocol !== 'lldp' && n.chassisIdSubtype === 7 && n.chassisId) names.push(n.chassisId);
  if (n.protocol === 'cdp' && n.cdp?.deviceId) names.push(n.cdp.deviceId);
  return names;
}

function neighborMacs(n: Neighbor): string[] {
  const macs: string[] = [];
  if (n.chassisIdSubtype === CHASSIS_SUBTYPE_MAC) macs.push(n.chassisId.toLowerCase());
  if (n.portIdSubtype === PORT_SUBTYPE_MAC) macs.push(n.portId.toLowerCase());
  return macs;
}

function nicByName(host: HostFact, n: Neighbor): string | null {
  for (const candidate of [n.portId, n.portDescr]) {
    if (!candidate) continue;
    const c = candidate.trim().toLowerCase();
    const nic = host.pnics.find((p) => p.device.toLowerCase() === c);
    if (nic) return nic.device;
  }
  return null;
}

type One = { match: NeighborMatch } | { anomaly: string };

function matchOne(n: Neighbor, hosts: HostFact[], byMac: Map<string, { host: HostFact; nic: string }[]>): One {
  const names = neighborNames(n);
  const named = hosts.filter((h) => names.some((nm) => sameHostName(nm, h.name)));
  const label = names[0] ?? n.chassisId;
  if (named.length > 1) {
    const vcs = new Set(named.map((h) => h.vcenter));
    const list = named.map((h) => `${h.vcenter}/${h.name}`).join(', ');
    return {
      anomaly:
        vcs.size > 1
          ? `neighbour ${label} matches hosts in ${vcs.size} vCenters (${list})`
          : `neighbour ${label} matches ${named.length} hosts (${list})`,
    };
  }
  const host = named[0];
  if (host) {
    const nic = nicByName(host, n);
    if (nic) return { match: { iface: n.iface, hostKey: host.key, nic, via: n.protocol === 'pinned' ? 'pinned' : 'name+port' } };
  }
  // fallback: the chassis (or port) MAC among the pNIC MACs
  for (const m of neighborMacs(n)) {
    const owners = byMac.get(m) ?? [];
    const distinct = new Set(owners.map((o) => o.host.key));
    if (distinct.size > 1) {
      return { anomaly: `neighbour MAC ${m} belongs to ${distinct.size} hosts (${[...distinct].join(', ')})` };
    }
    const o = owners[0];
    if (o) {
      if (host && o.host.key !== host.key) {
        return { anomaly: `neighbour ${label} names host ${host.name} but its MAC ${m} is ${o.host.name} ${o.nic}` };
      }
      return { match: { iface: n.iface, hostKey: o.host.key, nic: o.nic, via: 'mac' } };
    }
  }
  if (host) return { anomaly: `neighbour ${label} is host ${host.name} but port ${n.portId} is none of its NICs` };
  return { anomaly: `neighbour ${label} port ${n.portId} matches no vCenter host` };
}

export function matchNeighbors(neighbors: Neighbor[], hosts: HostFact[]): MatchResult {
  const byMac = new Map<string, { host: HostFact; nic: string }[]>();
  for (const h of hosts) {
    for (const p of h.pnics) {
      const m = p.mac.toLowerCase();
      const list = byMac.get(m);
      if (list) list.push({ host: h, nic: p.device });
      else byMac.set(m, [{ host: h, nic: p.device }]);
    }
  }
  const anomalies: MatchAnomaly[] = [];
  // one interface may hear the same NIC twice (LLDP and CDP): keep one match per (iface, NIC)
  const perIface = new Map<string, NeighborMatch>();
  for (const n of neighbors) {
    const r = matchOne(n, hosts, byMac);
    if ('anomaly' in r) {
      anomalies.push({ iface: n.iface, reason: r.anomaly });
      continue;
    }
    const key = `${n.iface}\u0000${r.match.hostKey}\u0000${r.match.nic}`;
    const prev = perIface.get(key);
    if (!prev || (prev.via === 'mac' && r.match.via !== 'mac')) perIface.set(key, r.match);
  }
  // two interfaces claiming one host NIC: neither is believed
  const byNic = new Map<string, NeighborMatch[]>();
  for (const m of perIface.values()) {
    const k = `${m.hostKey}\u0000${m.nic}`;
    const list = byNic.get(k);
    if (list) list.push(m);
    else byNic.set(k, [m]);
  }
  const matches: NeighborMatch[] = [];
  for (const list of byNic.values()) {
    if (list.length === 1) {
      matches.push(list[0]!);
      continue;
    }
    const ifaces = list.map((m) => m.iface).sort();
    for (const m of list) {
      anomalies.push({ iface: m.iface, reason: `${m.hostKey} ${m.nic} is claimed by ${ifaces.length} interfaces (${ifaces.join(', ')})` });
    }
  }
  matches.sort((a, b) => cmp(a.iface, b.iface) || cmp(a.hostKey, b.hostKey) || cmp(a.nic, b.nic));
  anomalies.sort((a, b) => cmp(a.iface, b.iface) || cmp(a.reason, b.reason));
  return { matches, anomalies };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
