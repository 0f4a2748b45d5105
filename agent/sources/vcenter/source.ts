// The vCenter source: list then watch, forever, one session at a time. Level-triggered at the
// edges: after any fault the session is dropped (logged out if it still answers), and the next
// one starts from nothing — new view, collector and filters, a full resync that replaces this
// vCenter's inventory — so a lost update can never leave a stale fact behind.

import type { FactSink, Inventory } from '../../core/facts.js';
import type { JournalEntry, SourceStatus } from '../../../shared/model.js';
import { VmtraceError, errorMessage } from '../../../shared/errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { eventActions, readEvent, type VmEvent } from './events.js';
import { Mirror } from './mirror.js';
import { DEFAULT_TIMEOUTS, Session, urlOf, type VcenterConfig, type VcenterTimeouts } from './session.js';
import { makeAgent } from './tls.js';
import { ALL_PROPERTIES, INVENTORY_VIEW_TYPES, VM_VIEW_TYPES, readObjectContent, readObjectUpdate, type Warn } from './translate.js';
import { viewFilterSpec, type SoapMoRef } from './vim-api.js';
import { child, type XNode } from './xml-stream.js';

export interface VcenterSource {
  stop(): Promise<void>;
  status(): SourceStatus;
}

export interface VcenterSourceOptions {
  timeouts?: Partial<VcenterTimeouts>;
}

/** Start watching one vCenter. Throws at once (VmtraceError) on a config it can never use. */
export function startVcenterSource(cfg: VcenterConfig, sink: FactSink, logger: Logger, opts: VcenterSourceOptions = {}): VcenterSource {
  // refuse to start without a trust anchor or with an unusable URL
  urlOf(cfg);
  makeAgent(cfg, cfg.name).destroy();
  const w = new Watcher(cfg, sink, logger.child({ vcenter: cfg.name }), { ...DEFAULT_TIMEOUTS, ...opts.timeouts });
  w.start();
  return { stop: () => w.stop(), status: () => w.status() };
}

/** Session.collectors order: placement, VMs, inventory (keep-alive rides here), events. */
const INVENTORY_INDEX = 2;

class Watcher {
  private current: SourceStatus;
  private stopped = false;
  private session: Session | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private failures = 0;
  private lastError: string | null = null;
  /** the last failure was a refused login: retry slowly (the password file is re-read each time) */
  private authRefused = false;
  /** facts this vCenter last delivered (for the "empty answer" check) */
  private delivered = 0;
  /** when we lost a synced session (for the gap journal) */
  private lostAt: number | null = null;
  private lastEventKey = -1;
  private readonly warn: Warn;
  /** sessions whose logout went unanswered: logged out before the next login */
  private orphans: Session[] = [];

  constructor(
    private readonly cfg: VcenterConfig,
    private readonly sink: FactSink,
    private readonly log: Logger,
    private readonly t: VcenterTimeouts,
  ) {
    this.current = { name: cfg.name, state: 'connecting', lastSync: null, error: null };
    this.warn = (msg, ctx) => this.log.warn(ctx ?? {}, msg);
  }

  status(): SourceStatus {
    return { ...this.current };
  }

  start(): void {
    this.setStatus({ state: 'connecting' });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const s = this.session;
    if (s) this.keepIfOrphaned(s, await s.close(this.log));
    await this.loop;
    await this.reapOrphans();
    for (const o of this.orphans.splice(0)) o.abandon();
    this.setStatus({ state: 'disconnected', error: 'stopped' });
  }

  private keepIfOrphaned(s: Session, r: 'closed' | 'orphaned'): void {
    if (r !== 'orphaned' || this.orphans.includes(s)) return;
    this.orphans.push(s);
    // bounded: a vCenter silent for long has expired those sessions itself by then
    while (this.orphans.length > 8) this.orphans.shift()!.abandon();
  }

  /** Log out sessions that did not answer before; keep those that still do not. */
  private async reapOrphans(): Promise<void> {
    const left: Session[] = [];
    for (const o of this.orphans) if ((await o.retryLogout(this.log)) === 'orphaned') left.push(o);
    this.orphans = left;
  }

  private setStatus(p: Partial<SourceStatus>): void {
    const before = this.current.state;
    this.current = { ...this.current, ...p };
    this.sink.sourceStatus({ ...this.current });
    if (before !== this.current.state) {
      this.journal('vcenter-state', `${this.cfg.name}: ${before} → ${this.current.state}${this.current.error ? ` (${this.current.error})` : ''}`);
    }
  }

  private journal(kind: JournalEntry['kind'], message: string): void {
    this.sink.journal({ at: Date.now(), kind, port: null, vlan: null, message });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        // log out what the last fault left behind before logging in again: never leak sessions
        await this.reapOrphans();
        const s = await Session.open(this.cfg, this.t);
        this.session = s;
        if (this.stopped) break;
        await this.syncAndWatch(s);
      } catch (err) {
        if (this.stopped) break;
        this.onFailure(err);
      }
      const s = this.session;
      this.session = null;
      if (s) this.keepIfOrphaned(s, await s.close(this.log));
      if (this.stopped) break;
      await this.sleep(this.authRefused ? this.t.authBackoffMs : this.backoff());
    }
  }

  private onFailure(err: unknown): void {
    this.failures++;
    this.authRefused = err instanceof VmtraceError && err.code === 'VCENTER_AUTH' && !err.transient;
    const msg = errorMessage(err);
    // one clear line per distinct error, not one per retry
    if (msg !== this.lastError) this.log.error({ code: err instanceof VmtraceError ? err.code : 'INTERNAL' }, msg);
    else this.log.debug({ failures: this.failures }, msg);
    this.lastError = msg;
    if (this.current.state === 'synced') this.lostAt = Date.now();
    this.setStatus({ state: 'disconnected', error: msg });
  }

  private backoff(): number {
    const exp = Math.min(this.t.backoffMaxMs, this.t.backoffMinMs * 2 ** Math.min(this.failures - 1, 16));
    // full jitter: many agents restarting together must not hammer vCenter in step
    return Math.round(this.t.backoffMinMs / 2 + Math.random() * (exp - this.t.backoffMinMs / 2));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** List, then watch until something fails. */
  private async syncAndWatch(s: Session): Promise<void> {
    this.setStatus({ state: 'syncing' });
    await s.createInventoryFilter();
    try {
      await s.createEventFilter();
    } catch (err) {
      // events are hints: without them we are slower at vMotion, never wrong
      this.log.warn({ err: errorMessage(err) }, 'vCenter event collector unavailable; continuing without events');
    }
    const mirror = new Mirror(this.cfg.name, this.warn);
    const pendingEvents: VmEvent[] = [];
    let firstEventPage = true;
    const onObject = (filter: string, n: XNode): void => {
      if (filter === s.eventFilter) {
        this.collectEvents(n, pendingEvents, firstEventPage);
        firstEventPage = false;
        return;
      }
      const ch = readObjectUpdate(n, this.warn);
      if (ch) mirror.apply(ch);
    };

    // first sync of every collector: page until the server says each is complete
    const firstSync = async (pc: SoapMoRef): Promise<string> => {
      let version = '';
      for (;;) {
        const r = await s.api.waitForUpdatesEx(pc, version, { maxWaitSeconds: 0, maxObjectUpdates: this.t.pageSize }, onObject, this.t.syncMs);
        version = r.version ?? version;
        if (!r.truncated) return version;
      }
    };
    const versions = await Promise.all(s.collectors.map((pc) => firstSync(pc)));
    const size = mirror.size;
    if (size.hosts + size.vms === 0 && this.delivered > 0) await this.confirmEmpty();
    const inv = mirror.inventory();
    this.sink.replaceInventory(this.cfg.name, inv);
    this.delivered = inv.hosts.length + inv.vms.length;
    this.flushEvents(pendingEvents, mirror);
    const now = Date.now();
    if (this.lostAt !== null) {
      this.journal(
        'vcenter-gap',
        `${this.cfg.name}: no updates from ${new Date(this.lostAt).toISOString()} to ${new Date(now).toISOString()} (${Math.round((now - this.lostAt) / 1000)} s); full resync: ${inv.hosts.length} hosts, ${inv.vms.length} VMs, ${inv.networks.length} networks`,
      );
      this.lostAt = null;
    }
    this.failures = 0;
    this.lastError = null;
    this.setStatus({ state: 'synced', lastSync: now, error: null });
    this.log.info({ hosts: inv.hosts.length, vms: inv.vms.length, networks: inv.networks.length }, 'vCenter inventory synced');

    // watch every collector; the first failure ends the session (the other waits are aborted
    // when the session closes)
    const flush = async (): Promise<void> => {
      // the events of this answer first: a migration start must reach the sink before the
      // host change that the same answer may carry (rule 7)
      this.flushEvents(pendingEvents, mirror);
      const before = this.delivered;
      const d = mirror.takeDelta();
      const size = mirror.size;
      if (before > 0 && size.hosts + size.vms === 0) await this.confirmEmpty();
      for (const h of d.hosts) this.sink.upsertHost(h);
      for (const n of d.networks) this.sink.upsertNetwork(n);
      for (const v of d.vms) this.sink.upsertVm(v);
      for (const k of d.removedVms) this.sink.removeVm(k);
      for (const k of d.removedNetworks) this.sink.removeNetwork(k);
      for (const k of d.removedHosts) this.sink.removeHost(k);
      this.delivered = size.hosts + size.vms;
    };
    const watchLoop = async (pc: SoapMoRef, start: string, keepalive: boolean): Promise<void> => {
      let version = start;
      let lastKeepalive = Date.now();
      while (!this.stopped) {
        if (keepalive && Date.now() - lastKeepalive > this.t.keepaliveMs) {
          await s.api.currentTime();
          lastKeepalive = Date.now();
        }
        const wait = Math.max(1, Math.min(this.t.waitSeconds, Math.ceil(this.t.keepaliveMs / 1000)));
        const r = await s.api.waitForUpdatesEx(pc, version, { maxWaitSeconds: wait, maxObjectUpdates: this.t.pageSize }, onObject, wait * 1000 + this.t.waitSlackMs);
        // a loop outliving its session (the other loop failed) must not deliver any more
        if (this.stopped || this.session !== s) break;
        version = r.version ?? version;
        await flush();
      }
    };
    const loops = s.collectors.map((pc, i) => watchLoop(pc, versions[i]!, i === INVENTORY_INDEX));
    // the first failure is raised by race; the other loop ends when the session closes
    for (const l of loops) l.catch(() => {});
    await Promise.race(loops);
  }

  /** latestPage (ArrayOfEvent) → new events, in key order; the first page only sets the baseline. */
  private collectEvents(n: XNode, out: VmEvent[], baseline: boolean): void {
    for (const ch of n.children.filter((c) => c.name === 'changeSet')) {
      const val = child(ch, 'val');
      if (!val) continue;
      const events: VmEvent[] = [];
      for (const e of val.children) {
        const ev = readEvent(this.cfg.name, e);
        if (ev) events.push(ev);
        else this.log.debug({ type: e.type }, 'unreadable vCenter event skipped');
      }
      events.sort((a, b) => a.key - b.key);
      for (const ev of events) {
        if (ev.key <= this.lastEventKey) continue;
        if (!baseline) out.push(ev);
        this.lastEventKey = ev.key;
      }
    }
  }

  private flushEvents(events: VmEvent[], mirror: Mirror): void {
    const now = Date.now();
    for (const e of events.splice(0)) {
      const a = eventActions(this.cfg.name, e, now);
      // a start event that arrives after the move (another stream) must not open a migration
      if (a.migration && mirror.vmHost(a.migration.vm) !== a.migration.destHost) this.sink.migrationStarted(a.migration);
      if (a.migrationEnded) this.sink.migrationEnded(a.migrationEnded);
      this.sink.journal(a.journal);
    }
  }

  /**
   * An answer that would empty this vCenter's inventory is what a timed-out session gives: ask
   * a fresh session before believing it. If the fresh one sees objects, fail this session.
   */
  private async confirmEmpty(): Promise<void> {
    const count = await countWithFreshSession(this.cfg, this.t);
    if (count > 0) {
      throw new VmtraceError('VCENTER_FAULT', `vCenter ${this.cfg.name}: session answered an empty inventory but a fresh session sees ${count} objects`, {
        transient: true,
      });
    }
    this.log.warn('vCenter inventory is empty (confirmed by a fresh session)');
  }
}

/** Log in anew, count hosts and VMs (first page only: any is enough), log out. */
async function countWithFreshSession(cfg: VcenterConfig, t: VcenterTimeouts): Promise<number> {
  const s = await Session.open(cfg, t);
  let count = 0;
  try {
    s.view = await s.api.createContainerView(s.sc.viewManager, s.sc.rootFolder, ['HostSystem', 'VirtualMachine']);
    const spec = viewFilterSpec(s.view, [
      { type: 'HostSystem', pathSet: ['name'] },
      { type: 'VirtualMachine', pathSet: ['name'] },
    ]);
    await s.api.retrieveAll(s.sc.propertyCollector, spec, 10, () => count++, t.callMs);
  } finally {
    if ((await s.close(silent)) === 'orphaned') s.abandon();
  }
  return count;
}

const silent = silentLogger();

/**
 * One-shot: log in, read the whole inventory (RetrievePropertiesEx, paged), log out. For
 * `vmtrace plan` and `config check`. Throws VmtraceError with a clear code on any failure.
 */
export async function checkVcenter(
  cfg: VcenterConfig,
  opts: { timeouts?: Partial<VcenterTimeouts>; logger?: Logger } = {},
): Promise<{ inventory: Inventory; apiVersion: string }> {
  const t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const log = opts.logger ?? silent;
  const s = await Session.open(cfg, t);
  try {
    s.view = await s.api.createContainerView(s.sc.viewManager, s.sc.rootFolder, [...VM_VIEW_TYPES, ...INVENTORY_VIEW_TYPES]);
    const mirror = new Mirror(cfg.name, (msg, ctx) => log.warn(ctx ?? {}, msg));
    const warn: Warn = (msg, ctx) => log.warn(ctx ?? {}, msg);
    await s.api.retrieveAll(
      s.sc.propertyCollector,
      viewFilterSpec(s.view, ALL_PROPERTIES),
      t.pageSize,
      (n) => {
        const ch = readObjectContent(n, warn);
        if (ch) mirror.apply(ch);
      },
      t.syncMs,
    );
    return { inventory: mirror.inventory(), apiVersion: s.sc.apiVersion };
  } finally {
    if ((await s.close(log)) === 'orphaned') s.abandon();
  }
}


