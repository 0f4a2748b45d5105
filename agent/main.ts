// The composition root: the only place that wires sources, core, controller, drivers, store
// and SNMP together. `vmtrace agent` runs `runAgent`; SIGTERM stops it cleanly.

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AgentConfig } from './config/load.js';
import { readSecret } from './config/load.js';
import { FactBook, type FactChange } from './core/facts.js';
import { isManaged } from './core/desired.js';
import { lldpRemRows } from './core/lldp-rows.js';
import { Controller } from './controller/controller.js';
import type { Driver } from './drivers/driver.js';
import { DryRunDriver } from './drivers/dry-run.js';
import { OvsdbDriver } from './drivers/ovsdb/driver.js';
import { createLogger, type Logger } from './log.js';
import { startLldpSource, type LldpSource } from './sources/lldp/capture.js';
import { startVcenterSource, type VcenterSource } from './sources/vcenter/source.js';
import { startSnmp, type SnmpConfig, type SnmpHandle } from './snmp/index.js';
import { Store, storePath } from './store/index.js';
import { createStatusView, JournalRing } from './app/status-view.js';
import { VERSION } from './version.js';
import type { JournalEntry, SourceStatus } from '../shared/model.js';
import { VmtraceError, errorMessage } from '../shared/errors.js';

export interface RunningAgent {
  stop(): Promise<void>;
  controller: Controller;
  book: FactBook;
  store: Store;
  snmp: SnmpHandle | null;
}

export function createDriver(cfg: AgentConfig, logger: Logger): Driver {
  const d = cfg.raw.driver;
  const ovsdb = new OvsdbDriver({
    endpoint: d.endpoint,
    bridge: d.bridge,
    vtepEndpoint: d.vtepEndpoint ?? null,
    logger,
  });
  if (cfg.policy.mode === 'dry-run') return new DryRunDriver({ inner: ovsdb, logger });
  return ovsdb;
}

/**
 * Opens the driver, waiting (with backoff) while the device is unreachable: at boot the
 * switch's ovsdb-server may come up after us. A device that answers but is wrong (bridge
 * missing) is an operator error and fails at once.
 */
async function openDriver(driver: Driver, log: Logger, signal?: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await driver.open();
      return;
    } catch (e) {
      if (!(e instanceof VmtraceError) || !e.transient || signal?.aborted) throw e;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
      log.warn({ err: e.message, retryInMs: delay }, 'switch unreachable; waiting for it');
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
      if (signal?.aborted) throw new VmtraceError('USAGE', 'stopped while waiting for the switch');
    }
  }
}

/**
 * One agent per state directory: two would fight over the ledger. A pid file taken with O_EXCL;
 * one left by a process that is gone is taken over.
 */
export function lockStateDir(dir: string): () => void {
  const file = join(dir, 'vmtrace.pid');
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new VmtraceError('STORE_ERROR', `cannot lock ${file}: ${errorMessage(e)}`);
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new VmtraceError('CONFIG_INVALID', `another vmtrace agent (pid ${pid}) uses stateDir ${dir}`);
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new VmtraceError('STORE_ERROR', `cannot lock ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function stateDirOf(cfg: AgentConfig): string {
  return resolve(dirname(resolve(cfg.file)), cfg.raw.stateDir);
}

export async function openStore(cfg: AgentConfig, logger: Logger, readonly = false): Promise<Store> {
  const dir = stateDirOf(cfg);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  } catch (e) {
    throw new VmtraceError('STORE_ERROR', `cannot create stateDir ${dir}: ${errorMessage(e)}`);
  }
  return Store.open(storePath(dir), { logger, readonly });
}

/** Seeds the facts with what the store last knew (rule 9); sources stay unsynced → frozen. */
async function seedFacts(store: Store, book: FactBook, cfg: AgentConfig, log: Logger): Promise<void> {
  const names = new Set(cfg.raw.vcenters.map((v) => v.name));
  for (const [vc, { inv, at }] of await store.loadInventories()) {
    if (!names.has(vc)) continue;
    book.replaceInventory(vc, inv);
    log.info({ vcenter: vc, vms: inv.vms.length, at: new Date(at).toISOString() }, 'facts restored from the store until vCenter resyncs');
  }
  // neighbours as last heard; the core treats those past their TTL as unknown (rule 4)
  for (const n of await store.loadNeighbors()) book.neighborSeen(n);
}

function snmpConfig(cfg: AgentConfig): SnmpConfig | null {
  const s = cfg.raw.snmp;
  if (!s || (!s.listen && !s.agentx)) return null;
  const base = dirname(resolve(cfg.file));
  const users = (s.users ?? []).map((u) => ({
    name: u.name,
    auth: u.auth,
    authKey: readSecret(base, u.authKeyFile),
    priv: u.priv,
    privKey: readSecret(base, u.privKeyFile),
  }));
  return {
    ...(s.listen ? { listen: s.listen } : {}),
    ...(s.agentx ? { agentx: s.agentx } : {}),
    communities: (s.communities ?? []).map((c) => ({ community: readSecret(base, c.communityFile), from: c.from })),
    users: users as SnmpConfig['users'],
    traps: (s.traps ?? []).map((t) => ({
      target: t.target,
      ...(t.communityFile ? { community: readSecret(base, t.communityFile) } : {}),
      ...(t.user ? { user: users.find((u) => u.name === t.user) as SnmpConfig['users'][number] } : {}),
      ...(t.inform ? { inform: true } : {}),
    })),
    lldpMib: s.lldpMib ?? false,
  };
}

export async function runAgent(cfg: AgentConfig, logger: Logger = createLogger(cfg.raw.log?.level), signal?: AbortSignal): Promise<RunningAgent> {
  const startedAt = Date.now();
  const log = logger;
  log.info({ switch: cfg.raw.switch, version: VERSION, mode: cfg.policy.mode }, 'vmtrace agent starting');
  const store = await openStore(cfg, log);
  let unlock: () => void;
  try {
    unlock = lockStateDir(stateDirOf(cfg));
  } catch (e) {
    await store.close();
    throw e;
  }
  const driver = createDriver(cfg, log);
  try {
    await openDriver(driver, log, signal);
  } catch (e) {
    await store.close();
    unlock();
    throw e;
  }

  let controller: Controller | null = null;
  let snmp: SnmpHandle | null = null;
  // The event table is the store's journal: what `plan --apply` or a source wrote shows too.
  const journal = new JournalRing();
  let journalSeen = 0;
  const readJournal = async () => {
    const fresh = (await store.recentJournal(1000)).filter((e) => (e.id ?? 0) > journalSeen);
    if (!fresh.length) return;
    journalSeen = fresh[fresh.length - 1]!.id ?? journalSeen;
    journal.push(fresh);
    snmp?.invalidate();
  };
  await readJournal();
  const pendingJournal: JournalEntry[] = [];
  const book = new FactBook(
    (c: FactChange) => {
      controller?.onFactChange(c);
      if (c.kind === 'neighbor') neighborsDirty = true;
      if (c.kind === 'inventory' || c.kind === 'vm' || c.kind === 'host' || c.kind === 'network') inventoryDirty.add(vcOf(c));
      snmp?.invalidate();
    },
    (e) => {
      pendingJournal.push(e);
    },
  );
  const vcOf = (c: FactChange): string => ('vcenter' in c ? c.vcenter : 'key' in c ? (c.key.split('/')[0] ?? '') : '');
  let neighborsDirty = false;
  const persistedSeen = new Map<string, number>();
  const inventoryDirty = new Set<string>();
  await seedFacts(store, book, cfg, log);

  controller = new Controller({
    policy: cfg.policy,
    driver,
    store,
    book,
    logger: log,
    dryRun: cfg.policy.mode === 'dry-run',
    events: {
      vlanChanged: (port, vlan, added, reason) => {
        snmp?.invalidate();
        snmp?.notify(added ? 'vlanAdded' : 'vlanRemoved', { port, vlan, reason });
      },
      guardTripped: (plan) => snmp?.notify('guardTripped', { count: plan.holdbacks.filter((h) => h.kind === 'guard').length, reason: 'maxRemovalsPerPlan' }),
      limitReached: (port, vlan, reason) => snmp?.notify('limitReached', { port, vlan, reason }),
      frozenChanged: (frozen, reason) => (frozen ? log.warn({ reason }, 'removals frozen') : log.info('removals unfrozen')),
    },
  });
  await controller.start();

  // LLDP/CDP on the member interfaces of the opted-in ports (or the configured list); a port
  // added later gets its capture on the next tick (the capture restarts with the longer list).
  const captureList = (): string[] => {
    if (cfg.raw.lldp?.interfaces) return cfg.raw.lldp.interfaces;
    const managed = controller!.device.filter((p) => isManaged(cfg.policy, p.name));
    return [...new Set(managed.flatMap((p) => (p.interfaces.length ? p.interfaces : [p.name])))].sort();
  };
  let lldp: LldpSource | null = null;
  let ifaces: string[] = [];
  const startCapture = async (list: string[]) => {
    await lldp?.stop();
    ifaces = list;
    lldp = list.length ? startLldpSource({ interfaces: list, protocols: cfg.raw.lldp?.protocols ?? ['lldp', 'cdp'], sink: book, logger: log }) : null;
  };
  await startCapture(captureList());
  if (!ifaces.length) log.warn('no opted-in port found on the device: no LLDP/CDP capture yet');
  const ports = controller.device.filter((p) => isManaged(cfg.policy, p.name));

  const base = dirname(resolve(cfg.file));
  const vcenters: VcenterSource[] = [];
  const lastState = new Map<string, SourceStatus['state']>();
  for (const v of cfg.raw.vcenters) {
    vcenters.push(
      startVcenterSource(
        { name: v.name, url: v.url, username: v.username, passwordFile: resolve(base, v.passwordFile), thumbprint: v.thumbprint, caFile: v.caFile ? resolve(base, v.caFile) : undefined },
        book,
        log,
      ),
    );
  }
  const vcenterStatus = (): SourceStatus[] => vcenters.map((v) => v.status());

  const view = createStatusView(
    {
      version: VERSION,
      startedAt,
      policy: cfg.policy,
      controller,
      book,
      vcenters: vcenterStatus,
      neighbors: () => [...book.neighbors.values()],
      malformedFrames: () => Object.values(lldp?.counters() ?? {}).reduce((n, c) => n + c.malformed, 0),
      snmpBadPackets: () => snmp?.counters().badPackets ?? 0,
    },
    journal,
  );
  const sc = snmpConfig(cfg);
  if (sc) {
    const ctl = controller;
    snmp = await startSnmp(
      sc,
      view,
      () =>
        lldpRemRows([...book.neighbors.values()], {
          ifIndex: (iface) => ctl.device.find((p) => p.name === iface || p.interfaces.includes(iface))?.ifIndex ?? null,
          // time marks count from the uptime the NMS reads: snmpd's under AgentX, ours standalone
          agentStart: snmp?.agentxMasterStart() ?? startedAt,
        }),
      log,
    );
  }

  // Persist what a restart needs (rule 9) and the journal the sources wrote, off the hot path.
  const persist = async () => {
    try {
      if (pendingJournal.length) await store.appendJournal(pendingJournal.splice(0));
      for (const vc of [...inventoryDirty]) {
        inventoryDirty.delete(vc);
        const s = book.sources.get(vc);
        if (s?.state !== 'synced') continue;
        await store.saveInventory(vc, {
          hosts: [...book.hosts.values()].filter((h) => h.vcenter === vc),
          networks: [...book.networks.values()].filter((n) => n.vcenter === vc),
          vms: [...book.vms.values()].filter((v) => v.vcenter === vc),
        }, Date.now());
      }
      if (neighborsDirty) {
        neighborsDirty = false;
        const all = [...book.neighbors.values()];
        await store.replaceNeighbors(all);
        persistedSeen.clear();
        for (const n of all) persistedSeen.set(`${n.iface}\u0000${n.chassisId}\u0000${n.portId}`, n.lastSeen);
      }
      await readJournal();
    } catch (e) {
      log.error({ err: errorMessage(e) }, 'cannot persist state');
    }
  };
  // The capture source reports new and changed neighbours; their refreshes (and the expiry of
  // neighbours restored from the store that were never heard again) are synced here, so the
  // core's TTL check (rule 4) sees the source's lastSeen.
  const syncNeighbors = () => {
    if (!lldp) return;
    const live = new Set<string>();
    for (const n of lldp.neighbors()) {
      const key = `${n.iface}\u0000${n.chassisId}\u0000${n.portId}`;
      live.add(key);
      book.neighborSeen(n);
      // `plan` judges stored neighbours by their TTL: keep the stored lastSeen within half of it
      const stored = persistedSeen.get(key);
      if (stored === undefined || n.lastSeen - stored > (n.ttl * 1000) / 2) neighborsDirty = true;
    }
    const now = Date.now();
    for (const n of [...book.neighbors.values()]) {
      if (n.protocol === 'pinned' || live.has(`${n.iface}\u0000${n.chassisId}\u0000${n.portId}`)) continue;
      if (n.lastSeen + n.ttl * 1000 < now) book.neighborGone(n.iface, n.chassisId, n.portId);
    }
  };
  const persistTimer = setInterval(() => {
    const want = captureList();
    if (want.some((i) => !ifaces.includes(i))) {
      log.info({ interfaces: want.filter((i) => !ifaces.includes(i)) }, 'new opted-in interfaces: capture restarted');
      void startCapture(want);
    }
    syncNeighbors();
    for (const s of vcenterStatus()) {
      const was = lastState.get(s.name);
      if (was !== s.state) {
        lastState.set(s.name, s.state);
        if (was !== undefined) snmp?.notify('vcenterStateChange', { vcenter: s.name, state: s.state });
      }
    }
    void persist();
  }, 1000);

  log.info({ ports: ports.length, interfaces: ifaces.length, vcenters: vcenters.length, snmp: !!snmp }, 'vmtrace agent running');
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('vmtrace agent stopping');
      clearInterval(persistTimer);
      // a hung vCenter must not hold the stop: its logout gets a few seconds, then we go on
      await Promise.race([Promise.allSettled(vcenters.map((v) => v.stop())), new Promise((r) => setTimeout(r, 5000).unref())]);
      await lldp?.stop();
      await controller!.stop();
      await snmp?.stop();
      await persist();
      await driver.close();
      await store.close();
      unlock();
      log.info('vmtrace agent stopped');
    })());
  return { stop, controller, book, store, snmp };
}
