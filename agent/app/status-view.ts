// The agent's state as operators read it (shared/status.ts), assembled from the controller,
// the facts and the journal. Composition code: it may look at every adapter's state.

import type { Controller } from '../controller/controller.js';
import type { FactBook } from '../core/facts.js';
import { policyFor, isManaged } from '../core/desired.js';
import type { Policy } from '../core/types.js';
import { matchNeighbors } from '../core/match.js';
import { globToRegExp } from '../core/glob.js';
import type { JournalEntry, Neighbor, SourceStatus } from '../../shared/model.js';
import type {
  AgentStateView,
  AgentSummary,
  EventStatus,
  NeighborStatus,
  PortStatus,
  VmStatus,
  VnicStatus,
  VtepStatus,
} from '../../shared/status.js';

export interface StatusSources {
  version: string;
  startedAt: number;
  policy: Policy;
  controller: Controller;
  book: FactBook;
  vcenters: () => SourceStatus[];
  neighbors: () => Neighbor[];
  malformedFrames: () => number;
  snmpBadPackets?: () => number;
}

/** Keeps the last N journal entries in memory for the event table. */
export class JournalRing {
  private entries: EventStatus[] = [];
  private next = 1;
  constructor(private readonly cap = 1000) {}

  push(list: JournalEntry[]): void {
    for (const e of list) {
      this.entries.push({ index: this.next++, at: e.at, kind: e.kind, port: e.port, vlan: e.vlan, message: e.message });
    }
    if (this.entries.length > this.cap) this.entries.splice(0, this.entries.length - this.cap);
  }

  list(): EventStatus[] {
    return this.entries;
  }
}

/** Synthetic ifIndex for ports the device reports none for: stable per name within a run. */
const SYNTHETIC_IFINDEX_BASE = 1_000_000;

export function createStatusView(src: StatusSources, journal: JournalRing): AgentStateView {
  const synthetic = new Map<string, number>();
  const ifIndexOf = (name: string): number => {
    const p = src.controller.device.find((d) => d.name === name || d.interfaces.includes(name));
    if (p?.ifIndex) return p.ifIndex;
    let n = synthetic.get(name);
    if (n === undefined) synthetic.set(name, (n = SYNTHETIC_IFINDEX_BASE + synthetic.size + 1));
    return n;
  };

  const sortedVms = () => [...src.book.vms.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  /** VM rows are numbered in key order; vNIC rows refer to those numbers. */
  const vmRows = (): VmStatus[] =>
    sortedVms().map((vm, i) => ({
      index: i + 1,
      name: vm.name,
      vcenter: vm.vcenter,
      moid: vm.moid,
      uuid: vm.uuid,
      powerState: vm.powerState,
      host: vm.host ? (src.book.hosts.get(vm.host)?.name ?? null) : null,
    }));

  const portsFacingHost = (): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [port, d] of src.controller.desired) for (const n of d.neighbors) if (!out.has(n.hostKey)) out.set(n.hostKey, port);
    return out;
  };

  return {
    summary(): AgentSummary {
      const c = src.controller.counters;
      let vnics = 0;
      for (const vm of src.book.vms.values()) vnics += vm.vnics.length;
      const ports = src.controller.device;
      return {
        switchName: src.policy.switchName,
        version: src.version,
        mode: src.policy.mode,
        startedAt: src.startedAt,
        vcenters: src.vcenters(),
        counts: {
          ports: ports.length,
          managedPorts: ports.filter((p) => isManaged(src.policy, p.name)).length,
          hosts: src.book.hosts.size,
          vms: src.book.vms.size,
          vnics,
          neighbors: src.neighbors().length,
        },
        counters: {
          vlanAdds: c.vlanAdds,
          vlanRemoves: c.vlanRemoves,
          plansApplied: c.plansApplied,
          plansRefused: c.plansRefused,
          limitRefusals: c.limitRefusals,
          applyErrors: c.applyErrors,
          malformedFrames: src.malformedFrames(),
          ...(src.snmpBadPackets ? { snmpBadPackets: src.snmpBadPackets() } : {}),
        },
        lastChangeLatencyMs: src.controller.lastLatencyMs,
        avgChangeLatencyMs: src.controller.avgLatencyMs(),
        frozen: src.controller.blind !== null,
        frozenReason: src.controller.blind,
      };
    },

    ports(): PortStatus[] {
      return src.controller.device
        .map((p) => {
          const managed = isManaged(src.policy, p.name);
          const d = src.controller.desired.get(p.name);
          const o = src.controller.outcomes.get(p.name);
          const first = d?.neighbors[0];
          return {
            ifIndex: ifIndexOf(p.name),
            name: p.name,
            neighborHost: first?.hostName ?? null,
            neighborNic: d ? d.neighbors.map((n) => n.nic).join(',') || null : null,
            neighborProtocol: first?.protocol ?? null,
            managed,
            staticVlans: managed ? policyFor(src.policy, p.name).staticVlans : [],
            vlans: p.trunks,
            dynamicVlans: d ? [...d.needed.keys()].sort((a, b) => a - b) : [],
            ownedVlans: src.controller.ownedVlans(p.name),
            missingVlans: o?.missing ?? [],
            surplusVlans: o?.surplus ?? [],
            state: o?.state ?? 'ok',
            reason: o?.reason ?? (d?.anomalies[0] ?? null),
          } satisfies PortStatus;
        })
        .sort((a, b) => a.ifIndex - b.ifIndex);
    },

    vms: vmRows,

    vnics(): VnicStatus[] {
      const facing = portsFacingHost();
      const out: VnicStatus[] = [];
      sortedVms().forEach((vm, i) => {
        for (const nic of vm.vnics) {
          const net = nic.network ? src.book.networks.get(nic.network) : undefined;
          const host = vm.host ? src.book.hosts.get(vm.host) : undefined;
          let vlan: number | null = null;
          if (net?.vlan?.kind === 'vlan') vlan = net.vlan.vlan;
          else if (net && host) {
            const pg = host.portgroups.find((p) => p.name === net.name);
            if (pg?.vlan.kind === 'vlan') vlan = pg.vlan.vlan;
          }
          // the operator's mapping table wins, as in the core (rule 1)
          const mapped = net ? src.policy.networks.map.find((m) => globToRegExp(m.pattern).test(net.name)) : undefined;
          if (mapped) vlan = mapped.vlan;
          const vni = net ? (src.policy.overlay?.networks.find((o) => o.portgroup === net.name)?.vni ?? null) : null;
          const port = vm.host ? facing.get(vm.host) : undefined;
          out.push({
            index: out.length + 1,
            vmIndex: i + 1,
            vmName: vm.name,
            mac: nic.mac,
            portgroup: net?.name ?? null,
            vlan,
            vni,
            ifIndex: port ? ifIndexOf(port) : null,
          });
        }
      });
      return out;
    },

    vteps(): VtepStatus[] {
      // VTEP entries arrive with the overlay work (rule 10); configured bindings are listed.
      return (src.policy.overlay?.networks ?? []).map((n, i) => ({ index: i + 1, vni: n.vni, vlan: null, port: null, remoteMacs: 0, remoteVteps: [] }));
    },

    events(): EventStatus[] {
      return journal.list();
    },

    neighbors(): NeighborStatus[] {
      const ns = src.neighbors();
      const { matches } = matchNeighbors(ns, [...src.book.hosts.values()]);
      return ns
        .map((n) => {
          const m = matches.find((x) => x.iface === n.iface);
          return {
            ifIndex: ifIndexOf(n.iface),
            port: n.iface,
            protocol: n.protocol,
            chassisId: n.chassisId,
            portId: n.portId,
            sysName: n.sysName,
            sysDescr: n.sysDescr,
            mgmtAddresses: n.mgmtAddresses,
            ttl: n.ttl,
            host: m ? (src.book.hosts.get(m.hostKey)?.name ?? null) : null,
            nic: m?.nic ?? null,
          };
        })
        .sort((a, b) => a.ifIndex - b.ifIndex || (a.chassisId < b.chassisId ? -1 : 1));
    },
  };
}
