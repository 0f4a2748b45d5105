// The facts the core reasons over, and the sink through which sources deliver them. Sources
// (LLDP, vCenter) only call FactSink; the controller owns a FactBook and reacts to its changes.
// Pure data structure: no I/O, no clock.

import type {
  HostFact,
  Neighbor,
  NetworkFact,
  SourceStatus,
  VmFact,
  JournalEntry,
} from '../../shared/model.js';

export interface Inventory {
  hosts: HostFact[];
  networks: NetworkFact[];
  vms: VmFact[];
}

/** A migration in flight (rule 7): the VM's VLANs go to the destination before it moves. */
export interface PendingMigration {
  vm: string;
  destHost: string;
  /** ms since epoch the start event was seen */
  at: number;
}

/** What sources call. Every method is cheap and synchronous; the controller batches. */
export interface FactSink {
  /** A full (re)sync of one vCenter: replaces everything that vCenter said before. */
  replaceInventory(vcenter: string, inv: Inventory): void;
  upsertHost(host: HostFact): void;
  removeHost(key: string): void;
  upsertNetwork(net: NetworkFact): void;
  removeNetwork(key: string): void;
  upsertVm(vm: VmFact): void;
  removeVm(key: string): void;
  /** rule 7 hint from an event; the property collector stays the truth */
  migrationStarted(m: PendingMigration): void;
  migrationEnded(vm: string): void;
  sourceStatus(status: SourceStatus): void;

  /** LLDP/CDP: a neighbour heard (new or refreshed) on an interface */
  neighborSeen(n: Neighbor): void;
  /** LLDP/CDP: a neighbour gone (TTL expired, shutdown frame, interface gone) */
  neighborGone(iface: string, chassisId: string, portId: string): void;
  /** The capture of an interface started or stopped (interface down, no permission). */
  captureStatus(iface: string, up: boolean, error?: string): void;

  journal(entry: JournalEntry): void;
}

export type FactChange =
  | { kind: 'host' | 'vm' | 'network'; key: string }
  | { kind: 'neighbor'; iface: string }
  | { kind: 'source'; name: string }
  | { kind: 'inventory'; vcenter: string };

function neighborKey(iface: string, chassisId: string, portId: string): string {
  return `${iface}\u0000${chassisId}\u0000${portId}`;
}

function sameNeighborContent(a: Neighbor, b: Neighbor): boolean {
  return JSON.stringify({ ...a, lastSeen: 0, lastChange: 0 }) === JSON.stringify({ ...b, lastSeen: 0, lastChange: 0 });
}

/** In-memory facts, indexed for the core. Emits one FactChange per mutation. */
export class FactBook implements FactSink {
  readonly hosts = new Map<string, HostFact>();
  readonly networks = new Map<string, NetworkFact>();
  readonly vms = new Map<string, VmFact>();
  readonly neighbors = new Map<string, Neighbor>();
  readonly sources = new Map<string, SourceStatus>();
  readonly migrations = new Map<string, PendingMigration>();
  readonly captures = new Map<string, { up: boolean; error?: string }>();
  /** VM keys per host key, kept in step with `vms` */
  private readonly vmsByHost = new Map<string, Set<string>>();

  constructor(
    private readonly onChange: (c: FactChange) => void = () => {},
    private readonly onJournal: (e: JournalEntry) => void = () => {},
  ) {}

  replaceInventory(vcenter: string, inv: Inventory): void {
    for (const [k, h] of this.hosts) if (h.vcenter === vcenter) this.hosts.delete(k);
    for (const [k, n] of this.networks) if (n.vcenter === vcenter) this.networks.delete(k);
    for (const [k, v] of this.vms) if (v.vcenter === vcenter) this.unindexVm(k);
    for (const h of inv.hosts) this.hosts.set(h.key, h);
    for (const n of inv.networks) this.networks.set(n.key, n);
    for (const v of inv.vms) this.indexVm(v);
    this.onChange({ kind: 'inventory', vcenter });
  }

  upsertHost(host: HostFact): void {
    this.hosts.set(host.key, host);
    this.onChange({ kind: 'host', key: host.key });
  }

  removeHost(key: string): void {
    if (this.hosts.delete(key)) this.onChange({ kind: 'host', key });
  }

  upsertNetwork(net: NetworkFact): void {
    this.networks.set(net.key, net);
    this.onChange({ kind: 'network', key: net.key });
  }

  removeNetwork(key: string): void {
    if (this.networks.delete(key)) this.onChange({ kind: 'network', key });
  }

  upsertVm(vm: VmFact): void {
    const old = this.vms.get(vm.key);
    this.unindexVm(vm.key);
    this.indexVm(vm);
    // a VM that arrived where it was going ends its migration
    const m = this.migrations.get(vm.key);
    if (m && vm.host === m.destHost) this.migrations.delete(vm.key);
    this.onChange({ kind: 'vm', key: vm.key });
    if (old && old.host !== vm.host && old.host) this.onChange({ kind: 'host', key: old.host });
  }

  removeVm(key: string): void {
    const old = this.vms.get(key);
    if (!old) return;
    this.unindexVm(key);
    this.migrations.delete(key);
    this.onChange({ kind: 'vm', key });
    if (old.host) this.onChange({ kind: 'host', key: old.host });
  }

  migrationStarted(m: PendingMigration): void {
    this.migrations.set(m.vm, m);
    this.onChange({ kind: 'host', key: m.destHost });
  }

  migrationEnded(vm: string): void {
    const m = this.migrations.get(vm);
    if (!m) return;
    this.migrations.delete(vm);
    this.onChange({ kind: 'host', key: m.destHost });
  }

  sourceStatus(status: SourceStatus): void {
    this.sources.set(status.name, status);
    this.onChange({ kind: 'source', name: status.name });
  }

  neighborSeen(n: Neighbor): void {
    const key = neighborKey(n.iface, n.chassisId, n.portId);
    const old = this.neighbors.get(key);
    this.neighbors.set(key, n);
    // a refresh (same content, later frame) keeps the neighbour alive but changes no decision
    if (old && sameNeighborContent(old, n)) return;
    this.onChange({ kind: 'neighbor', iface: n.iface });
  }

  neighborGone(iface: string, chassisId: string, portId: string): void {
    if (this.neighbors.delete(neighborKey(iface, chassisId, portId))) this.onChange({ kind: 'neighbor', iface });
  }

  captureStatus(iface: string, up: boolean, error?: string): void {
    this.captures.set(iface, error === undefined ? { up } : { up, error });
    this.onChange({ kind: 'neighbor', iface });
  }

  journal(entry: JournalEntry): void {
    this.onJournal(entry);
  }

  vmsOnHost(hostKey: string): VmFact[] {
    const keys = this.vmsByHost.get(hostKey);
    if (!keys) return [];
    const out: VmFact[] = [];
    for (const k of keys) {
      const vm = this.vms.get(k);
      if (vm) out.push(vm);
    }
    return out;
  }

  neighborsOn(iface: string): Neighbor[] {
    const out: Neighbor[] = [];
    for (const n of this.neighbors.values()) if (n.iface === iface) out.push(n);
    return out;
  }

  private indexVm(vm: VmFact): void {
    this.vms.set(vm.key, vm);
    if (!vm.host) return;
    let set = this.vmsByHost.get(vm.host);
    if (!set) this.vmsByHost.set(vm.host, (set = new Set()));
    set.add(vm.key);
  }

  private unindexVm(key: string): void {
    const old = this.vms.get(key);
    if (!old) return;
    this.vms.delete(key);
    if (old.host) this.vmsByHost.get(old.host)?.delete(key);
  }
}
