// Rule 1: which VLANs each opted-in port needs, from the facts and the operator's mapping.
// Pure: facts and policy in, one PortDesire per managed port out, every VLAN with its reason.

import type {
  DevicePort,
  HostFact,
  HostPortgroup,
  Neighbor,
  NeighborMatch,
  NetworkFact,
  VlanId,
  VlanSpec,
  VmFact,
} from '../../shared/model.js';
import { globToRegExp, matchesAny } from './glob.js';
import type { PendingMigration } from './facts.js';
import { matchNeighbors, sameHostName } from './match.js';
import type { PortPolicy, Policy } from './types.js';

/** Read-only view of the facts (FactBook satisfies it). */
export interface FactsView {
  readonly hosts: ReadonlyMap<string, HostFact>;
  readonly networks: ReadonlyMap<string, NetworkFact>;
  readonly vms: ReadonlyMap<string, VmFact>;
  readonly migrations: ReadonlyMap<string, PendingMigration>;
  vmsOnHost(hostKey: string): VmFact[];
}

export interface ResolvedNeighbor {
  hostKey: string;
  hostName: string;
  nic: string;
  via: NeighborMatch['via'];
  protocol: Neighbor['protocol'];
}

export type NeighborState =
  /** at least one neighbour resolved to a host NIC */
  | 'known'
  /** nothing heard (or everything expired) and nothing pinned: rule 4 freezes removals */
  | 'unknown'
  /** heard, but it resolves to no host or conflicts: changes no VLAN */
  | 'anomaly';

export interface PortDesire {
  port: string;
  policy: PortPolicy;
  neighbors: ResolvedNeighbor[];
  neighborState: NeighborState;
  /** VLANs the VMs behind the port need, each with the first reason found */
  needed: Map<VlanId, string>;
  /** anomalies worth showing (4095 portgroups, unmatched neighbours, pinned vs learned) */
  anomalies: string[];
  /** informational: how the answer was reached (uplink fallback) */
  notes: string[];
}

export function policyFor(policy: Policy, port: string): PortPolicy {
  const o = policy.overrides[port];
  return o ? { ...policy.defaults, ...o } : policy.defaults;
}

export function isManaged(policy: Policy, port: string): boolean {
  return matchesAny(port, policy.include);
}

function shortName(name: string): string {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  return dot > 0 ? lower.slice(0, dot) : lower;
}

/** Per-reconcile indexes shared by every port's computation. */
export interface DesireContext {
  facts: FactsView;
  policy: Policy;
  /** iface → matches */
  matches: Map<string, NeighborMatch[]>;
  /** iface → anomaly reasons */
  matchAnomalies: Map<string, string[]>;
  /** lower-case full and short host names → host keys */
  hostsByName: Map<string, string[]>;
  /** host key → VMs migrating there (rule 7) */
  arriving: Map<string, VmFact[]>;
  /** iface → live neighbours */
  heard: Map<string, Neighbor[]>;
}

/** A neighbour counts until its TTL runs out, whatever the capture adapter has done yet (rule 4). */
export function liveNeighbors(all: Iterable<Neighbor>, now: number): Neighbor[] {
  const out: Neighbor[] = [];
  for (const n of all) if (n.protocol === 'pinned' || n.lastSeen + n.ttl * 1000 >= now) out.push(n);
  return out;
}

export function buildContext(facts: FactsView, policy: Policy, neighbors: Neighbor[]): DesireContext {
  const hosts = [...facts.hosts.values()];
  const heard = new Map<string, Neighbor[]>();
  for (const n of neighbors) {
    const list = heard.get(n.iface);
    if (list) list.push(n);
    else heard.set(n.iface, [n]);
  }
  const result = matchNeighbors(neighbors, hosts);
  const matches = new Map<string, NeighborMatch[]>();
  for (const m of result.matches) {
    const list = matches.get(m.iface);
    if (list) list.push(m);
    else matches.set(m.iface, [m]);
  }
  const matchAnomalies = new Map<string, string[]>();
  for (const a of result.anomalies) {
    const list = matchAnomalies.get(a.iface);
    if (list) list.push(a.reason);
    else matchAnomalies.set(a.iface, [a.reason]);
  }
  const hostsByName = new Map<string, string[]>();
  const addName = (n: string, key: string) => {
    const list = hostsByName.get(n);
    if (!list) hostsByName.set(n, [key]);
    else if (!list.includes(key)) list.push(key);
  };
  for (const h of hosts) {
    addName(h.name.toLowerCase(), h.key);
    addName(shortName(h.name), h.key);
  }
  const arriving = new Map<string, VmFact[]>();
  for (const m of facts.migrations.values()) {
    const vm = facts.vms.get(m.vm);
    if (!vm || vm.host === m.destHost) continue;
    const list = arriving.get(m.destHost);
    if (list) list.push(vm);
    else arriving.set(m.destHost, [vm]);
  }
  return { facts, policy, matches, matchAnomalies, hostsByName, arriving, heard };
}

function resolvePinned(ctx: DesireContext, host: string): { key: string | null; problem: string | null } {
  // the same rule as learned neighbours: names that both carry a domain must be equal
  const keys = [...new Set(ctx.hostsByName.get(shortName(host)) ?? [])].filter((k) => sameHostName(host, ctx.facts.hosts.get(k)?.name ?? ''));
  if (keys.length === 0) return { key: null, problem: `pinned host ${host} is not in any vCenter` };
  if (keys.length > 1) return { key: null, problem: `pinned host ${host} matches ${keys.length} hosts (${keys.join(', ')})` };
  return { key: keys[0]!, problem: null };
}

function neighborsOfPort(ctx: DesireContext, port: DevicePort, policy: PortPolicy): {
  resolved: ResolvedNeighbor[];
  state: NeighborState;
  anomalies: string[];
} {
  const anomalies: string[] = [];
  const learned: ResolvedNeighbor[] = [];
  let heard = false;
  const ifaces = port.interfaces.length ? port.interfaces : [port.name];
  for (const iface of ifaces) {
    const ns = ctx.heard.get(iface) ?? [];
    if (ns.length) heard = true;
    for (const m of ctx.matches.get(iface) ?? []) {
      const h = ctx.facts.hosts.get(m.hostKey);
      if (!h) continue;
      const protocol = ns.some((n) => n.protocol === 'lldp') ? 'lldp' : (ns[0]?.protocol ?? 'lldp');
      learned.push({ hostKey: m.hostKey, hostName: h.name, nic: m.nic, via: m.via, protocol });
    }
    for (const reason of ctx.matchAnomalies.get(iface) ?? []) anomalies.push(`${iface}: ${reason}`);
  }

  if (policy.neighbor) {
    const pin = resolvePinned(ctx, policy.neighbor.host);
    if (!pin.key) return { resolved: [], state: 'anomaly', anomalies: [...anomalies, pin.problem!] };
    const h = ctx.facts.hosts.get(pin.key)!;
    const resolved = policy.neighbor.nics.map((nic) => ({ hostKey: pin.key!, hostName: h.name, nic, via: 'pinned' as const, protocol: 'pinned' as const }));
    for (const l of learned) {
      if (!resolved.some((r) => r.hostKey === l.hostKey && r.nic === l.nic))
        anomalies.push(`learned neighbour ${l.hostName}/${l.nic} disagrees with pinned ${h.name}/${policy.neighbor.nics.join('+')}`);
    }
    return { resolved, state: 'known', anomalies };
  }
  if (learned.length) return { resolved: dedupe(learned), state: 'known', anomalies };
  return { resolved: [], state: heard || anomalies.length ? 'anomaly' : 'unknown', anomalies };
}

function dedupe(list: ResolvedNeighbor[]): ResolvedNeighbor[] {
  const seen = new Set<string>();
  return list.filter((n) => {
    const k = `${n.hostKey}/${n.nic}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Portgroups of a host by name; facts are replaced, never mutated, so the index stays valid. */
const portgroupIndex = new WeakMap<HostFact, Map<string, HostPortgroup>>();

function hostPortgroup(h: HostFact, name: string): HostPortgroup | undefined {
  let idx = portgroupIndex.get(h);
  if (!idx) {
    idx = new Map(h.portgroups.map((p) => [p.name, p]));
    portgroupIndex.set(h, idx);
  }
  return idx.get(name);
}

/** The VLAN spec a vNIC's network has on host `h`, after the operator's mapping; null = nothing. */
function vlanSpecOnHost(
  ctx: DesireContext,
  h: HostFact,
  net: NetworkFact,
): { spec: VlanSpec; uplinks: string[] | null; mapped: boolean } | null {
  const { networks } = ctx.policy;
  if (matchesAny(net.name, networks.ignore)) return null;
  const mapped = networks.map.find((m) => globToRegExp(m.pattern).test(net.name));
  let uplinks: string[] | null;
  let spec: VlanSpec | null;
  if (net.kind === 'distributed') {
    spec = net.vlan;
    uplinks = h.dvs.find((d) => d.dvs === net.dvs)?.uplinks ?? null;
  } else {
    const pg = hostPortgroup(h, net.name);
    spec = pg?.vlan ?? null;
    uplinks = pg ? pg.uplinks : null;
  }
  if (mapped) return { spec: { kind: 'vlan', vlan: mapped.vlan }, uplinks, mapped: true };
  if (networks.default === 'ignore' || !spec) return null;
  return { spec, uplinks, mapped: false };
}

const ALL_VLANS_SPAN = 4094;

function expand(spec: VlanSpec): { vlans: VlanId[]; all: boolean } {
  switch (spec.kind) {
    case 'vlan':
      if (spec.vlan === 4095) return { vlans: [], all: true };
      return { vlans: spec.vlan >= 1 && spec.vlan <= 4094 ? [spec.vlan] : [], all: false };
    case 'trunk': {
      const vlans: VlanId[] = [];
      let span = 0;
      for (const r of spec.ranges) {
        span += Math.min(r.to, 4094) - Math.max(r.from, 0) + 1;
        for (let v = Math.max(r.from, 1); v <= Math.min(r.to, 4094); v++) vlans.push(v);
      }
      if (span >= ALL_VLANS_SPAN) return { vlans: [], all: true };
      return { vlans, all: false };
    }
    case 'pvlan':
      return { vlans: [spec.primary, spec.secondary].filter((v) => v >= 1 && v <= 4094), all: false };
    case 'none':
      return { vlans: [], all: false };
  }
}

function vmsFor(ctx: DesireContext, hostKey: string): { vm: VmFact; arriving: boolean }[] {
  const out = ctx.facts.vmsOnHost(hostKey).map((vm) => ({ vm, arriving: false }));
  for (const vm of ctx.arriving.get(hostKey) ?? []) out.push({ vm, arriving: true });
  return out;
}

/** Desired state of one managed port. */
export function desiredForPort(ctx: DesireContext, port: DevicePort): PortDesire {
  const policy = policyFor(ctx.policy, port.name);
  const { resolved, state, anomalies } = neighborsOfPort(ctx, port, policy);
  const needed = new Map<VlanId, string>();
  const notes: string[] = [];
  const seenAll = new Set<string>();
  for (const n of resolved) {
    const h = ctx.facts.hosts.get(n.hostKey);
    if (!h) continue;
    let fellBack = false;
    for (const { vm, arriving } of vmsFor(ctx, n.hostKey)) {
      if (vm.powerState !== 'poweredOn' || vm.template) continue;
      for (const nic of vm.vnics) {
        if (!nic.network) continue;
        const net = ctx.facts.networks.get(nic.network);
        if (!net || net.uplink) continue;
        const s = vlanSpecOnHost(ctx, h, net);
        if (!s) continue;
        if (s.uplinks === null) fellBack = true;
        else if (!s.uplinks.includes(n.nic)) continue;
        const { vlans, all } = expand(s.spec);
        if (all) {
          const key = `${net.name}@${h.name}`;
          if (!seenAll.has(key)) {
            seenAll.add(key);
            anomalies.push(`portgroup ${net.name} on ${h.name} carries all VLANs (4095/0-4094): not provisioned automatically`);
          }
          continue;
        }
        for (const v of vlans) {
          if (!needed.has(v))
            needed.set(v, `vm ${vm.name} ${nic.mac} on ${net.name}${arriving ? ' (arriving by vMotion)' : ''} via ${h.name}/${n.nic}`);
        }
      }
    }
    if (fellBack) notes.push(`uplinks of some portgroups on ${h.name} are unknown: counted every portgroup of the host`);
  }
  return { port: port.name, policy, neighbors: resolved, neighborState: state, needed, anomalies, notes };
}

/** Desired state of every managed port among `ports`. */
export function desiredState(ctx: DesireContext, ports: DevicePort[]): Map<string, PortDesire> {
  const out = new Map<string, PortDesire>();
  for (const p of ports) if (isManaged(ctx.policy, p.name)) out.set(p.name, desiredForPort(ctx, p));
  return out;
}
