// This vCenter's inventory as the property collector reported it, one compact state per
// managed object, plus the set of facts a batch of updates touched. Pure (no I/O): the watcher
// feeds ObjectChanges in and hands the resulting facts to the FactSink.

import type { Inventory } from '../../core/facts.js';
import type { HostFact, NetworkFact, VmFact } from '../../../shared/model.js';
import {
  applyDvsProp,
  applyHostProp,
  applyNetworkProp,
  applyVmProp,
  factKey,
  hostFact,
  networkFact,
  vmFact,
  type DvsState,
  type HostState,
  type NetState,
  type ObjectChange,
  type VmState,
  type Warn,
} from './translate.js';

export interface FactDelta {
  hosts: HostFact[];
  networks: NetworkFact[];
  vms: VmFact[];
  removedHosts: string[];
  removedNetworks: string[];
  removedVms: string[];
}

function networkKind(type: string): NetState['kind'] | null {
  if (type === 'Network') return 'standard';
  if (type.endsWith('DistributedVirtualPortgroup')) return 'distributed';
  if (type === 'OpaqueNetwork') return 'opaque';
  return null;
}

export class Mirror {
  private readonly hosts = new Map<string, HostState>();
  private readonly vms = new Map<string, VmState>();
  private readonly nets = new Map<string, NetState>();
  private readonly dvss = new Map<string, DvsState>();
  private readonly dirtyHosts = new Set<string>();
  private readonly dirtyVms = new Set<string>();
  private readonly dirtyNets = new Set<string>();

  constructor(
    readonly vcenter: string,
    private readonly warn: Warn,
  ) {}

  get size(): { hosts: number; vms: number; networks: number } {
    return { hosts: this.hosts.size, vms: this.vms.size, networks: this.nets.size };
  }

  /** The host a VM runs on now (`undefined` if the VM is unknown). */
  vmHost(vmKey: string): string | null | undefined {
    const prefix = `${this.vcenter}/`;
    if (!vmKey.startsWith(prefix)) return undefined;
    const s = this.vms.get(vmKey.slice(prefix.length));
    return s ? (s.host ?? null) : undefined;
  }

  apply(ch: ObjectChange): void {
    const { type, value: moid } = ch.obj;
    if (type === 'HostSystem') return this.applyTo(this.hosts, this.dirtyHosts, moid, ch, () => ({ parts: {} }), (s, c) => applyHostProp(s, c, this.warn));
    if (type === 'VirtualMachine')
      return this.applyTo(this.vms, this.dirtyVms, moid, ch, () => ({}), (s, c) => applyVmProp(this.vcenter, s, c, this.warn));
    const nk = networkKind(type);
    if (nk) return this.applyTo(this.nets, this.dirtyNets, moid, ch, () => ({ kind: nk }), (s, c) => applyNetworkProp(s, c, this.warn));
    if (type.endsWith('DistributedVirtualSwitch')) {
      if (ch.kind === 'leave') this.dvss.delete(moid);
      else {
        let s = this.dvss.get(moid);
        if (!s) this.dvss.set(moid, (s = { uplinkPortgroups: [], pvlan: new Map() }));
        for (const c of ch.changes) applyDvsProp(s, c, this.warn);
      }
      // its portgroups' uplink flag, DVS uuid and PVLAN primaries may have changed
      for (const [k, n] of this.nets) if (n.dvsMoid === moid) this.dirtyNets.add(k);
      return;
    }
    this.warn('ignoring update for an unexpected managed object type', { type, moid });
  }

  private applyTo<S>(
    map: Map<string, S>,
    dirty: Set<string>,
    moid: string,
    ch: ObjectChange,
    fresh: () => S,
    applyProp: (s: S, c: ObjectChange['changes'][number]) => boolean,
  ): void {
    dirty.add(moid);
    if (ch.kind === 'leave') {
      map.delete(moid);
      return;
    }
    // Two filters (hot and inventory) report the same object, each with its own properties:
    // an 'enter' adds to what the other filter said. (A leave drops the object whole; a
    // re-entering object starts clean because its state was deleted on leave.)
    let s = map.get(moid);
    if (!s) {
      s = fresh();
      map.set(moid, s);
    }
    for (const c of ch.changes) applyProp(s, c);
  }

  /** Facts changed since the last call (upserts and removals), then forget the dirt. */
  takeDelta(): FactDelta {
    const d: FactDelta = { hosts: [], networks: [], vms: [], removedHosts: [], removedNetworks: [], removedVms: [] };
    const vc = this.vcenter;
    for (const moid of this.dirtyHosts) {
      const s = this.hosts.get(moid);
      const f = s && hostFact(vc, moid, s);
      if (f) d.hosts.push(f);
      else d.removedHosts.push(factKey(vc, moid));
    }
    for (const moid of this.dirtyNets) {
      const f = this.netFact(moid);
      if (f) d.networks.push(f);
      else d.removedNetworks.push(factKey(vc, moid));
    }
    for (const moid of this.dirtyVms) {
      const s = this.vms.get(moid);
      const f = s && vmFact(vc, moid, s);
      if (f) d.vms.push(f);
      else d.removedVms.push(factKey(vc, moid));
    }
    this.clearDirty();
    return d;
  }

  /** Everything, for a full (re)sync. */
  inventory(): Inventory {
    this.clearDirty();
    const vc = this.vcenter;
    const inv: Inventory = { hosts: [], networks: [], vms: [] };
    for (const [moid, s] of this.hosts) {
      const f = hostFact(vc, moid, s);
      if (f) inv.hosts.push(f);
    }
    for (const moid of this.nets.keys()) {
      const f = this.netFact(moid);
      if (f) inv.networks.push(f);
    }
    for (const [moid, s] of this.vms) {
      const f = vmFact(vc, moid, s);
      if (f) inv.vms.push(f);
    }
    return inv;
  }

  private netFact(moid: string): NetworkFact | null {
    const s = this.nets.get(moid);
    if (!s) return null;
    const dvs = s.dvsMoid ? this.dvss.get(s.dvsMoid) : undefined;
    return networkFact(this.vcenter, moid, s, dvs, this.warn);
  }

  private clearDirty(): void {
    this.dirtyHosts.clear();
    this.dirtyVms.clear();
    this.dirtyNets.clear();
  }
}
