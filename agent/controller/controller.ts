// Level-triggered reconcile (Kubernetes controller style). Fact changes and device changes only
// mark ports dirty; one worker drains the dirty set in batches: read the device, plan with the
// pure core, record ownership intent, apply in one device transaction, record, journal.
// A burst (a vMotion storm) coalesces into one transaction per batch.

import type { Logger } from '../log.js';
import type { Driver } from '../drivers/driver.js';
import { computePlan, type EngineOutput } from '../core/engine.js';
import type { FactBook, FactChange } from '../core/facts.js';
import { nextWakeup, recordApplied, recordIntent, type PortOutcome } from '../core/plan.js';
import { isManaged, type PortDesire } from '../core/desired.js';
import type { Policy, PortRecord } from '../core/types.js';
import type { DevicePort, JournalEntry, Plan } from '../../shared/model.js';
import { VmtraceError, errorMessage } from '../../shared/errors.js';

/** What the controller needs of the store (agent/store's Store satisfies it). */
export interface LedgerStore {
  loadLedger(): Promise<Map<string, PortRecord>>;
  commit(batch: { ledger?: PortRecord[]; deleteLedger?: string[]; journal?: JournalEntry[] }): Promise<void>;
}

export interface ControllerEvents {
  /** each applied VLAN change, each refused plan, each limit refusal: traps and counters */
  vlanChanged?(port: string, vlan: number, added: boolean, reason: string): void;
  guardTripped?(plan: Plan): void;
  limitReached?(port: string, vlan: number, reason: string): void;
  frozenChanged?(frozen: boolean, reason: string | null): void;
  journal?(entries: JournalEntry[]): void;
}

export interface ControllerOptions {
  policy: Policy;
  driver: Driver;
  store: LedgerStore;
  book: FactBook;
  logger: Logger;
  clock?: () => number;
  /** coalescing window after the first dirty mark (ms) */
  batchMs?: number;
  /** full level-triggered pass even without events (ms) */
  resyncMs?: number;
  events?: ControllerEvents;
  /** the operator confirmed (`plan --apply`): guard and orphaned-port freezes do not hold back */
  confirm?: boolean;
  /**
   * mode: dry-run. Plans go to the (dry-run) driver, which only logs them; nothing is owned,
   * counted or trapped, and each distinct plan is journaled once as `dry-run`.
   */
  dryRun?: boolean;
}

export interface ControllerCounters {
  vlanAdds: number;
  vlanRemoves: number;
  plansApplied: number;
  plansRefused: number;
  limitRefusals: number;
  applyErrors: number;
  reconciles: number;
}

const ALL = Symbol('all');

export class Controller {
  readonly counters: ControllerCounters = { vlanAdds: 0, vlanRemoves: 0, plansApplied: 0, plansRefused: 0, limitRefusals: 0, applyErrors: 0, reconciles: 0 };
  /** latest outcome per managed port (status for SNMP/show) */
  readonly outcomes = new Map<string, PortOutcome>();
  readonly desired = new Map<string, PortDesire>();
  device: DevicePort[] = [];
  lastPlan: Plan | null = null;
  blind: string | null = null;
  lastLatencyMs: number | null = null;
  private latencySum = 0;
  private latencyCount = 0;

  private ledger = new Map<string, PortRecord>();
  private reloadLedger = false;
  private dirty = new Set<string>();
  private dirtyAll = false;
  private dirtySince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private hostPorts = new Map<string, Set<string>>();
  private ifacePort = new Map<string, string>();
  private unsubscribe: (() => void)[] = [];
  private readonly portLogs = new Map<string, Logger>();
  private lastGuardSig = '';
  private lastDryRunSig = '';
  private readonly limitReported = new Set<string>();
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: ControllerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.log = opts.logger.child({ component: 'controller' });
  }

  /** Loads the ledger, subscribes to device changes and runs a first full reconcile. */
  async start(): Promise<void> {
    this.ledger = await this.opts.store.loadLedger();
    this.unsubscribe.push(
      this.opts.driver.observe((ports) => {
        // another writer (`plan --apply`) may have changed the ledger along with the device
        this.reloadLedger = true;
        this.enqueue(ports ?? ALL);
      }),
      this.opts.driver.onConnection((up) => {
        if (up) this.enqueue(ALL);
      }),
    );
    const resyncMs = this.opts.resyncMs ?? 60_000;
    if (resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.enqueue(ALL), resyncMs);
      this.resyncTimer.unref();
    }
    this.enqueue(ALL);
    await this.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    for (const t of [this.timer, this.wakeTimer, this.resyncTimer]) if (t) clearTimeout(t);
    await this.running?.catch(() => undefined);
  }

  /** The FactBook's change listener: marks the ports the change can affect. */
  onFactChange(c: FactChange): void {
    switch (c.kind) {
      case 'vm': {
        const vm = this.opts.book.vms.get(c.key);
        const m = this.opts.book.migrations.get(c.key);
        const hosts = [vm?.host, m?.destHost].filter((h): h is string => !!h);
        if (hosts.length === 0) return;
        for (const h of hosts) this.enqueueHost(h);
        return;
      }
      case 'host':
        this.enqueueHost(c.key);
        return;
      case 'neighbor': {
        const p = this.ifacePort.get(c.iface);
        this.enqueue(p ? [p] : ALL);
        return;
      }
      default:
        this.enqueue(ALL);
    }
  }

  private enqueueHost(hostKey: string): void {
    const ports = this.hostPorts.get(hostKey);
    // a host no port faces yet needs no work; its neighbour arriving will enqueue the port
    if (ports?.size) this.enqueue([...ports]);
  }

  enqueue(ports: Iterable<string> | typeof ALL): void {
    if (this.stopped) return;
    if (ports === ALL) this.dirtyAll = true;
    else for (const p of ports) this.dirty.add(p);
    if (!this.dirtyAll && this.dirty.size === 0) return;
    this.dirtySince ??= this.clock();
    this.schedule(this.opts.batchMs ?? 5);
  }

  /** Resolves when no work is pending or running, or the last attempt failed (tests, CLI). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.running) {
        await this.running.catch(() => undefined);
        continue;
      }
      if (this.timer && (this.dirtyAll || this.dirty.size) && this.failures === 0) {
        clearTimeout(this.timer);
        this.timer = null;
        this.kick();
        continue;
      }
      return;
    }
  }

  /** VLANs vmtrace owns on a port (rule 3). */
  ownedVlans(port: string): number[] {
    return this.ledger.get(port)?.owned ?? [];
  }

  /** Average change latency since start (ms). */
  avgLatencyMs(): number | null {
    return this.latencyCount ? this.latencySum / this.latencyCount : null;
  }

  private schedule(ms: number): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.reconcile()
      .catch((err) => this.log.error({ err: errorMessage(err) }, 'reconcile failed'))
      .finally(() => {
        this.running = null;
        if (this.dirtyAll || this.dirty.size) {
          const backoff = this.failures ? Math.min(5000, 100 * 2 ** (this.failures - 1)) : (this.opts.batchMs ?? 5);
          this.schedule(backoff);
        }
      });
  }

  private async reconcile(): Promise<void> {
    const all = this.dirtyAll;
    const only = new Set(this.dirty);
    const since = this.dirtySince;
    this.dirtyAll = false;
    this.dirty.clear();
    this.dirtySince = null;
    this.counters.reconciles++;
    const requeue = () => {
      if (all) this.dirtyAll = true;
      for (const p of only) this.dirty.add(p);
      this.dirtySince ??= since;
    };

    let device: DevicePort[];
    try {
      device = await this.opts.driver.ports();
    } catch (err) {
      this.failures++;
      requeue();
      this.log.warn({ err: errorMessage(err) }, 'cannot read the device; will retry');
      return;
    }
    this.device = device;
    this.indexDevice(device);
    if (this.reloadLedger) {
      this.reloadLedger = false;
      this.ledger = await this.opts.store.loadLedger();
    }
    const now = this.clock();
    const book = this.opts.book;
    const out: EngineOutput = computePlan({
      now,
      policy: this.opts.policy,
      facts: book,
      neighbors: book.neighbors.values(),
      sources: book.sources,
      device,
      ledger: this.ledger,
      confirm: this.opts.confirm ?? false,
      ...(all ? {} : { only }),
    });
    this.noteBlind(out.blind);
    for (const [k, d] of out.desired) this.desired.set(k, d);
    for (const [k, o] of out.outcomes) this.outcomes.set(k, o);
    for (const k of [...this.outcomes.keys()]) if (!device.some((p) => p.name === k && isManaged(this.opts.policy, k))) this.outcomes.delete(k);
    this.indexHosts(out.desired);
    this.lastPlan = out.plan;
    const plan = out.plan;

    const journal: JournalEntry[] = [];
    // A refusal that persists is reported when it starts, not on every pass.
    const guarded = plan.holdbacks.filter((h) => h.kind === 'guard');
    const guardSig = guarded.map((h) => `${h.port}/${h.vlan}`).join(',');
    if (plan.guardTripped && guardSig !== this.lastGuardSig) {
      this.counters.plansRefused++;
      const message = `blast-radius guard: ${guarded.length} removal${guarded.length === 1 ? '' : 's'} held back; confirm with vmtrace plan --apply`;
      journal.push({ at: now, kind: 'plan-refused', port: null, vlan: null, message });
      this.log.warn({ removals: guarded.length, max: this.opts.policy.maxRemovalsPerPlan }, message);
      this.opts.events?.guardTripped?.(plan);
    }
    if (all || plan.guardTripped) this.lastGuardSig = plan.guardTripped ? guardSig : '';
    const limited = new Set<string>();
    for (const h of plan.holdbacks) {
      if (h.kind !== 'limit') continue;
      const key = `${h.port}/${h.vlan}`;
      limited.add(key);
      if (this.limitReported.has(key)) continue;
      this.counters.limitRefusals++;
      journal.push({ at: now, kind: 'limit-reached', port: h.port, vlan: h.vlan, message: h.reason });
      this.opts.events?.limitReached?.(h.port, h.vlan ?? 0, h.reason);
    }
    for (const key of [...this.limitReported]) {
      const port = key.slice(0, key.lastIndexOf('/'));
      if (out.desired.has(port) && !limited.has(key)) this.limitReported.delete(key);
    }
    for (const key of limited) this.limitReported.add(key);

    if (this.opts.dryRun) {
      await this.dryRun(plan, out.ledger, journal, now);
      this.failures = 0;
      this.scheduleWakeup(plan);
      return;
    }

    // Ownership intent is durable before the device changes (rule 3): a crash in between leaves
    // a VLAN owned but absent, which the next plan forgets; never one present but unowned.
    const planned = new Map([...this.ledger, ...out.ledger]);
    const intent = recordIntent(planned, plan.changes);
    const toSave = new Map([...out.ledger, ...intent]);
    if (toSave.size) {
      await this.opts.store.commit({ ledger: [...toSave.values()] });
      for (const [k, r] of toSave) this.ledger.set(k, r);
    }

    if (plan.changes.length) {
      try {
        await this.opts.driver.apply(plan.changes);
      } catch (err) {
        this.counters.applyErrors++;
        this.failures++;
        requeue();
        for (const c of plan.changes) this.dirty.add(c.port);
        const transient = err instanceof VmtraceError && err.transient;
        this.log.warn({ err: errorMessage(err), transient }, 'apply failed; will re-read the device and retry');
        if (journal.length) await this.safeJournal(journal);
        return;
      }
      this.counters.plansApplied++;
      const applied = recordApplied(this.ledger, plan.changes);
      for (const [k, r] of applied) this.ledger.set(k, r);
      for (const c of plan.changes) {
        for (const a of c.add) {
          this.counters.vlanAdds++;
          journal.push({ at: now, kind: 'vlan-added', port: c.port, vlan: a.vlan, message: `rule ${a.rule}: ${a.reason}` });
          this.opts.events?.vlanChanged?.(c.port, a.vlan, true, a.reason);
        }
        for (const r of c.remove) {
          this.counters.vlanRemoves++;
          journal.push({ at: now, kind: 'vlan-removed', port: c.port, vlan: r.vlan, message: `rule ${r.rule}: ${r.reason}` });
          this.opts.events?.vlanChanged?.(c.port, r.vlan, false, r.reason);
        }
      }
      await this.opts.store.commit({ ledger: [...applied.values()], journal });
      this.opts.events?.journal?.(journal);
      // what the device now holds, without waiting for the next read
      this.device = applyToDevice(device, plan.changes);
      if (since !== null) {
        const latency = this.clock() - since;
        this.lastLatencyMs = latency;
        this.latencySum += latency;
        this.latencyCount++;
      }
      for (const c of plan.changes) {
        const log = this.portLog(c.port);
        for (const a of c.add) log.info({ vlan: a.vlan, rule: a.rule, reason: a.reason }, 'VLAN added');
        for (const r of c.remove) log.info({ vlan: r.vlan, rule: r.rule, reason: r.reason }, 'VLAN removed');
      }
    } else if (journal.length) {
      await this.safeJournal(journal);
    }
    this.failures = 0;
    this.scheduleWakeup(plan);
  }

  /** mode: dry-run: first sight is recorded (it protects later), nothing is owned or counted. */
  private async dryRun(plan: Plan, records: Map<string, PortRecord>, journal: JournalEntry[], now: number): Promise<void> {
    if (records.size) {
      await this.opts.store.commit({ ledger: [...records.values()] });
      for (const [k, r] of records) this.ledger.set(k, r);
    }
    const sig = JSON.stringify(plan.changes.map((c) => [c.port, c.add.map((a) => a.vlan), c.remove.map((r) => r.vlan)]));
    if (plan.changes.length && sig !== this.lastDryRunSig) {
      try {
        await this.opts.driver.apply(plan.changes);
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'dry-run driver refused the plan');
      }
      for (const c of plan.changes) {
        for (const a of c.add) journal.push({ at: now, kind: 'dry-run', port: c.port, vlan: a.vlan, message: `would add (rule ${a.rule}: ${a.reason})` });
        for (const r of c.remove) journal.push({ at: now, kind: 'dry-run', port: c.port, vlan: r.vlan, message: `would remove (rule ${r.rule}: ${r.reason})` });
      }
    }
    this.lastDryRunSig = sig;
    if (journal.length) await this.safeJournal(journal);
  }

  /** One child logger per port, so every line about a port carries it (journald, grep). */
  private portLog(port: string): Logger {
    let l = this.portLogs.get(port);
    if (!l) this.portLogs.set(port, (l = this.log.child({ port })));
    return l;
  }

  private async safeJournal(journal: JournalEntry[]): Promise<void> {
    try {
      await this.opts.store.commit({ journal });
      this.opts.events?.journal?.(journal);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'cannot write the journal');
    }
  }

  private noteBlind(blind: string | null): void {
    if (blind === this.blind) return;
    const was = this.blind !== null;
    this.blind = blind;
    if (was !== (blind !== null)) this.opts.events?.frozenChanged?.(blind !== null, blind);
  }

  /** Hold-down expiry is a level change with no event: wake up for it. */
  private scheduleWakeup(plan: Plan): void {
    const t = nextWakeup(plan);
    if (t === null) return;
    const ports = new Set(plan.holdbacks.filter((h) => h.until !== undefined).map((h) => h.port));
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.enqueue(ports), Math.max(0, t - this.clock()) + 1);
    this.wakeTimer.unref();
  }

  private indexDevice(device: DevicePort[]): void {
    this.ifacePort.clear();
    for (const p of device) {
      this.ifacePort.set(p.name, p.name);
      for (const i of p.interfaces) this.ifacePort.set(i, p.name);
    }
  }

  private indexHosts(desired: Map<string, PortDesire>): void {
    for (const [port, d] of desired) {
      for (const set of this.hostPorts.values()) set.delete(port);
      for (const n of d.neighbors) {
        let set = this.hostPorts.get(n.hostKey);
        if (!set) this.hostPorts.set(n.hostKey, (set = new Set()));
        set.add(port);
      }
    }
  }
}

function applyToDevice(device: DevicePort[], changes: { port: string; add: { vlan: number }[]; remove: { vlan: number }[] }[]): DevicePort[] {
  const byPort = new Map(changes.map((c) => [c.port, c]));
  return device.map((p) => {
    const c = byPort.get(p.name);
    if (!c) return p;
    const set = new Set(p.trunks);
    for (const a of c.add) set.add(a.vlan);
    for (const r of c.remove) set.delete(r.vlan);
    return { ...p, trunks: [...set].sort((a, b) => a - b) };
  });
}
