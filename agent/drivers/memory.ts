// An in-memory switch for controller unit tests, with the OVSDB driver's semantics: delta
// mutations in one all-or-nothing transaction, refusal of an empty trunk set (rule 8) and of
// a vanished port, observe() on every change (ours or an operator's), outages. It runs the
// same contract suite as the real driver (test/contract/), so it cannot drift from it.

import type { DevicePort, PortChange, VlanId, VtepState } from '../../shared/model.js';
import { VmtraceError } from '../../shared/errors.js';
import type { Driver, VtepDiff, VtepDriver } from './driver.js';

const nameCollator = new Intl.Collator('en', { numeric: true });

function copyPort(p: DevicePort): DevicePort {
  return { ...p, interfaces: [...p.interfaces], trunks: [...p.trunks].sort((a, b) => a - b) };
}

function sameSet(a: VlanId[], b: VlanId[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class MemoryDriver implements Driver {
  readonly kind = 'memory';
  readonly vtep: MemoryVtepDriver;
  /** every transaction that changed or attempted to change the device, in order (for churn assertions) */
  readonly transactions: PortChange[][] = [];
  private readonly device = new Map<string, DevicePort>();
  private readonly observers = new Set<(ports: string[] | null) => void>();
  private readonly connListeners = new Set<(up: boolean, error?: Error) => void>();
  private connected = true;
  private opened = false;
  private closed = false;

  constructor(ports: DevicePort[], vtep?: VtepState) {
    for (const p of ports) this.device.set(p.name, copyPort(p));
    this.vtep = new MemoryVtepDriver(() => this.check(), (port) => this.device.has(port), vtep);
  }

  async open(): Promise<void> {
    this.closed = false;
    if (!this.connected) throw this.unreachable();
    this.opened = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opened = false;
  }

  async ports(): Promise<DevicePort[]> {
    this.check();
    return [...this.device.values()]
      .map(copyPort)
      .sort((a, b) => nameCollator.compare(a.name, b.name));
  }

  async apply(changes: PortChange[]): Promise<void> {
    this.check();
    const work = changes.filter((c) => c.add.length > 0 || c.remove.length > 0);
    if (work.length === 0) return;
    this.transactions.push(structuredClone(work));
    // Compute everything first: nothing is written unless the whole transaction holds.
    const next = new Map<string, VlanId[]>();
    const adds = new Map<string, Set<VlanId>>();
    const removes = new Map<string, Set<VlanId>>();
    for (const c of work) {
      for (const ch of [...c.add, ...c.remove]) {
        if (!Number.isInteger(ch.vlan) || ch.vlan < 0 || ch.vlan > 4095) {
          throw new VmtraceError('INTERNAL', `trunk change on "${c.port}": ${ch.vlan} is not a VLAN id`);
        }
      }
      const a = adds.get(c.port) ?? new Set<VlanId>();
      const r = removes.get(c.port) ?? new Set<VlanId>();
      for (const ch of c.add) a.add(ch.vlan);
      for (const ch of c.remove) r.add(ch.vlan);
      adds.set(c.port, a);
      removes.set(c.port, r);
      const both = [...a].filter((v) => r.has(v));
      if (both.length > 0) {
        throw new VmtraceError('INTERNAL', `trunk change on "${c.port}" both adds and removes VLAN ${both.join(',')}`);
      }
    }
    for (const c of work) {
      const port = this.device.get(c.port);
      if (!port) throw new VmtraceError('OVSDB_CONFLICT', `port "${c.port}" no longer exists; nothing applied`);
      const set = new Set(next.get(c.port) ?? port.trunks);
      for (const ch of c.remove) set.delete(ch.vlan);
      for (const ch of c.add) set.add(ch.vlan);
      next.set(c.port, [...set].sort((a, b) => a - b));
    }
    for (const [name, trunks] of next) {
      if (trunks.length === 0) {
        throw new VmtraceError(
          'OVSDB_CONFLICT',
          `refused: port "${name}" would be left with no trunk VLANs (OVS reads that as all VLANs); nothing applied`,
        );
      }
    }
    const changed: string[] = [];
    for (const [name, trunks] of next) {
      const port = this.device.get(name)!;
      if (!sameSet(port.trunks, trunks)) changed.push(name);
      port.trunks = trunks;
    }
    this.notify(changed);
  }

  observe(listener: (ports: string[] | null) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  onConnection(listener: (up: boolean, error?: Error) => void): () => void {
    this.connListeners.add(listener);
    return () => this.connListeners.delete(listener);
  }

  // --- test controls: what an operator or the network does to the device -----------------

  /** An operator's `ovs-vsctl set port P trunks=…` (works during an outage too: the device is fine). */
  operatorSetTrunks(port: string, vlans: VlanId[]): void {
    const p = this.device.get(port);
    if (!p) throw new Error(`memory driver: no port ${port}`);
    const trunks = [...new Set(vlans)].sort((a, b) => a - b);
    if (sameSet(p.trunks, trunks)) return;
    p.trunks = trunks;
    this.notify([port]);
  }

  operatorSetTag(port: string, tag: VlanId | null): void {
    const p = this.device.get(port);
    if (!p) throw new Error(`memory driver: no port ${port}`);
    if (p.tag === tag) return;
    p.tag = tag;
    this.notify([port]);
  }

  operatorAddPort(port: DevicePort): void {
    this.device.set(port.name, copyPort(port));
    this.notify([port.name]);
  }

  operatorDeletePort(name: string): void {
    if (this.device.delete(name)) this.notify([name]);
  }

  /** The device's trunks, bypassing the connection (ground truth for tests). */
  trunksOf(port: string): VlanId[] {
    const p = this.device.get(port);
    if (!p) throw new Error(`memory driver: no port ${port}`);
    return [...p.trunks];
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The link to the device drops: reads and applies fail fast with a transient OVSDB_UNREACHABLE. */
  disconnect(error: Error = new Error('simulated outage')): void {
    if (!this.connected) return;
    this.connected = false;
    if (this.opened) this.emitConnection(false, error);
  }

  /** The link is back: observers get `null` (everything may have changed), then up=true. */
  reconnect(): void {
    if (this.connected) return;
    this.connected = true;
    if (!this.opened) return;
    queueMicrotask(() => {
      for (const fn of this.observers) fn(null);
      this.emitConnection(true);
    });
  }

  private emitConnection(up: boolean, error?: Error): void {
    for (const fn of this.connListeners) fn(up, error);
  }

  private notify(ports: string[]): void {
    if (ports.length === 0 || !this.opened || !this.connected) return;
    const names = [...ports].sort();
    // Asynchronous, as a monitor update is.
    queueMicrotask(() => {
      for (const fn of this.observers) fn([...names]);
    });
  }

  private check(): void {
    if (this.closed || !this.opened) {
      throw new VmtraceError('OVSDB_UNREACHABLE', 'memory driver: not open', { transient: true });
    }
    if (!this.connected) throw this.unreachable();
  }

  private unreachable(): VmtraceError {
    return new VmtraceError('OVSDB_UNREACHABLE', 'memory driver: device unreachable (simulated outage)', { transient: true });
  }
}

/**
 * hardware_vtep in memory, with the OVSDB VTEP driver's semantics: one binding per (port,
 * VLAN), one location per (VNI, MAC) (an add to another VTEP moves it), a removal only takes
 * what still matches, binding a VLAN bound elsewhere or an unknown port is refused whole.
 */
export class MemoryVtepDriver implements VtepDriver {
  private state: VtepState;

  constructor(
    private readonly check: () => void,
    private readonly portExists: (port: string) => boolean,
    initial: VtepState = { bindings: [], macs: [], flood: [] },
  ) {
    this.state = normalizeVtep(structuredClone(initial));
  }

  async read(): Promise<VtepState> {
    this.check();
    return normalizeVtep(structuredClone(this.state));
  }

  async apply(diff: VtepDiff): Promise<void> {
    this.check();
    const bindingKey = (b: { port: string; vlan: number }) => `${b.port}/${b.vlan}`;
    const macKey = (m: { vni: number; mac: string }) => `${m.vni}/${m.mac.toLowerCase()}`;
    const bindings = new Map(this.state.bindings.map((b) => [bindingKey(b), b]));
    const macs = new Map(this.state.macs.map((m) => [macKey(m), m]));
    const flood = new Map(this.state.flood.map((f) => [f.vni, new Set(f.vteps)]));
    for (const b of diff.remove.bindings) {
      if (bindings.get(bindingKey(b))?.vni === b.vni) bindings.delete(bindingKey(b));
    }
    for (const m of diff.remove.macs) {
      if (macs.get(macKey(m))?.vtep === m.vtep) macs.delete(macKey(m));
    }
    for (const f of diff.remove.flood) {
      const set = flood.get(f.vni);
      for (const v of f.vteps) set?.delete(v);
    }
    for (const b of diff.add.bindings) {
      if (!this.portExists(b.port)) {
        throw new VmtraceError('OVSDB_CONFLICT', `hardware_vtep: no Physical_Port "${b.port}"; nothing applied`);
      }
      const current = bindings.get(bindingKey(b));
      if (current && current.vni !== b.vni) {
        throw new VmtraceError('OVSDB_CONFLICT', `hardware_vtep: ${b.port} VLAN ${b.vlan} is already bound to VNI ${current.vni}; nothing applied`);
      }
      bindings.set(bindingKey(b), { port: b.port, vlan: b.vlan, vni: b.vni });
    }
    for (const m of diff.add.macs) macs.set(macKey(m), { vni: m.vni, mac: m.mac.toLowerCase(), vtep: m.vtep });
    for (const f of diff.add.flood) {
      const set = flood.get(f.vni) ?? new Set<string>();
      for (const v of f.vteps) set.add(v);
      flood.set(f.vni, set);
    }
    // Only now, with every check passed, does the state change (all or nothing).
    this.state = normalizeVtep({
      bindings: [...bindings.values()],
      macs: [...macs.values()],
      flood: [...flood].map(([vni, set]) => ({ vni, vteps: [...set] })),
    });
  }

  // --- test controls: an operator's vtep-ctl edits ----------------------------------------
  operatorBind(port: string, vlan: number, vni: number): void {
    this.state = normalizeVtep({
      ...this.state,
      bindings: [...this.state.bindings.filter((b) => !(b.port === port && b.vlan === vlan)), { port, vlan, vni }],
    });
  }

  operatorAddRemoteMac(vni: number, mac: string, vtep: string): void {
    const key = mac.toLowerCase();
    this.state = normalizeVtep({
      ...this.state,
      macs: [...this.state.macs.filter((m) => !(m.vni === vni && m.mac === key)), { vni, mac: key, vtep }],
    });
  }
}

/** Sorted, deterministic VtepState (drivers return it this way; tests compare with toEqual). */
export function normalizeVtep(s: VtepState): VtepState {
  return {
    bindings: [...s.bindings].sort((a, b) => nameCollator.compare(a.port, b.port) || a.vlan - b.vlan),
    macs: [...s.macs].sort((a, b) => a.vni - b.vni || a.mac.localeCompare(b.mac)),
    flood: [...s.flood]
      .map((f) => ({ vni: f.vni, vteps: [...f.vteps].sort() }))
      .filter((f) => f.vteps.length > 0)
      .sort((a, b) => a.vni - b.vni),
  };
}
