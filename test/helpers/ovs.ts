// A private Open vSwitch for tests and benches (DESIGN §7): ovsdb-server serving Open_vSwitch
// and hardware_vtep on one unix socket in a temp dir, ovs-vswitchd (userspace datapath) inside
// a fresh network namespace, one bridge whose ports are the switch ends of veth pairs.
//
//   const ovs = await startOvs({ ports: 48, bridge: 'br0', trunks: [1] });
//   ovs.endpoint            // 'unix:/tmp/vmt-ovs-XXXX/db.sock' — give it to OvsdbDriver
//   ovs.portNames           // ['swp1', …, 'swp48'] (switch ends, OVS ports); host ends: ovs.hostEnd('swp1') = 'hst1'
//   ovs.netns               // the namespace holding the veths and ovs-vswitchd
//   await ovs.vsctl('set', 'port', 'swp1', 'trunks=1,10')   // ground truth / operator edits
//   await ovs.trunksOf('swp1')                               // [1, 10], read with ovs-vsctl
//   await ovs.vtepctl('add-ls', 'ls0')                       // hardware_vtep (vtep-ctl)
//   await ovs.killDb(); await ovs.restartDb();               // an OVSDB outage (vswitchd stays)
//   ovs.pauseDb(); ovs.resumeDb();                           // a hung ovsdb-server (SIGSTOP/SIGCONT)
//   await ovs.stop();                                        // idempotent; kills all, deletes netns + dir
//
// Always call stop() in afterAll. Safety nets: every instance still running when the process
// exits is killed and its namespace deleted synchronously (a failed test), and each
// startOvs() first sweeps instances left by processes that died without exiting (SIGKILL).
// So an instance never outlives the process that started it: not for a lab that must stay up.
// Needs root. Each instance has its own netns and temp dir, so test files may run in parallel.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { JsonStreamSplitter } from '../../agent/drivers/ovsdb/framing.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
export const VTEP_SCHEMA = '/usr/share/openvswitch/vtep.ovsschema';

export interface OvsOptions {
  /** number of veth-backed ports on the bridge (default 4) */
  ports?: number;
  /** bridge name (default br0) */
  bridge?: string;
  /** trunks each port starts with (default [1]; [] leaves trunks unset = all VLANs) */
  trunks?: number[];
  /** switch-end name prefix (default swp → swp1…); host ends are hst1… */
  portPrefix?: string;
  /** start ovs-vswitchd (default true); without it ports still exist in the database */
  vswitchd?: boolean;
}

export interface VtepGroundTruth {
  bindings: { port: string; vlan: number; vni: number }[];
  macs: { vni: number; mac: string; vtep: string }[];
  flood: { vni: number; vteps: string[] }[];
}

export interface Ovs {
  dir: string;
  /** unix:DIR/db.sock, serving Open_vSwitch and hardware_vtep */
  endpoint: string;
  socketPath: string;
  netns: string;
  bridge: string;
  portNames: string[];
  hostEnd(port: string): string;
  vsctl(...args: string[]): Promise<string>;
  vtepctl(...args: string[]): Promise<string>;
  /** the port's trunks, sorted, read with ovs-vsctl */
  trunksOf(port: string): Promise<number[]>;
  /** every port's trunks, sorted, in one ovs-vsctl call */
  allTrunks(): Promise<Map<string, number[]>>;
  /**
   * hardware_vtep as vtep-ctl shows it, for Physical_Switch `ps`: bindings of its ports, remote
   * MACs and unknown-dst flood lists of every logical switch that has a tunnel_key (VNI); sorted.
   */
  vtepState(ps: string): Promise<VtepGroundTruth>;
  /** SIGKILL ovsdb-server and wait until it is gone */
  killDb(): Promise<void>;
  /**
   * Starts the ovs-vtep emulator (DESIGN §7) for Physical_Switch `ps`, which must be named like
   * an OVS bridge and have exactly one tunnel_ips (both set by the caller). It turns bindings
   * and remote MACs into per-logical-switch bridges with VXLAN ports, polling about once a
   * second. Stopped by stop().
   */
  startVtepEmulator(ps: string): Promise<void>;
  /** SIGSTOP / SIGCONT ovsdb-server: a hung peer (socket open, nobody answering) */
  pauseDb(): void;
  resumeDb(): void;
  /** start ovsdb-server again on the same files and socket; resolves once it accepts */
  restartDb(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cleanup of [...live]) cleanup();
  });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Cleans up after test processes that died without running their exit hook (SIGKILL, a
 * worker killed on timeout): for every vmt-ovs-* dir whose owner process is gone, kills the
 * daemons named by its pidfiles, deletes its namespace and the dir. Instances of live
 * processes (parallel test files) are left alone.
 */
export function sweepOrphans(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((e) => e.startsWith('vmt-ovs-'));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(tmpdir(), e);
    const owner = readPid(join(dir, 'owner'));
    if (owner === null || alive(owner)) continue;
    for (const f of ['ovs-vtep.pid', 'ovs-vswitchd.pid', 'ovsdb-server.pid']) {
      const pid = readPid(join(dir, f));
      if (pid && alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    try {
      const ns = readFileSync(join(dir, 'netns'), 'utf8').trim();
      if (/^vmtovs-\d+-[0-9a-f]+$/.test(ns)) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* no netns file or already deleted */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ovs-vsctl's rendering of a set of integers: `[]`, `[1, 10]`, or a bare `10`. */
export function parseVsctlIntSet(text: string): number[] {
  const t = text.trim().replace(/^\[|\]$/g, '').trim();
  if (t === '') return [];
  return t
    .split(',')
    .map((s) => Number(s.trim()))
    .sort((a, b) => a - b);
}

export async function startOvs(opts: OvsOptions = {}): Promise<Ovs> {
  const nPorts = opts.ports ?? 4;
  const bridge = opts.bridge ?? 'br0';
  const trunks = opts.trunks ?? [1];
  const prefix = opts.portPrefix ?? 'swp';
  sweepOrphans();
  const dir = mkdtempSync(join(tmpdir(), 'vmt-ovs-'));
  const socketPath = join(dir, 'db.sock');
  const endpoint = `unix:${socketPath}`;
  const netns = `vmtovs-${process.pid}-${randomBytes(3).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
  const dbPid = join(dir, 'ovsdb-server.pid');
  const swPid = join(dir, 'ovs-vswitchd.pid');
  const vtepPid = join(dir, 'ovs-vtep.pid');
  const portNames = Array.from({ length: nPorts }, (_, i) => `${prefix}${i + 1}`);
  const hostEnd = (port: string): string => `hst${port.slice(prefix.length)}`;
  let stopped = false;
  let netnsCreated = false;

  const killSync = (pidFile: string): void => {
    const pid = readPid(pidFile);
    if (pid && alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  const cleanupSync = (): void => {
    if (stopped) return;
    stopped = true;
    live.delete(cleanupSync);
    killSync(vtepPid);
    killSync(swPid);
    killSync(dbPid);
    if (netnsCreated) {
      try {
        execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  installExitHook();
  live.add(cleanupSync);
  // for sweepOrphans(): who owns this instance, and its namespace
  writeFileSync(join(dir, 'owner'), `${process.pid}\n`);
  writeFileSync(join(dir, 'netns'), `${netns}\n`);

  const vsctl = (...args: string[]): Promise<string> => run('ovs-vsctl', [`--db=${endpoint}`, '--timeout=20', ...args], env);
  const vtepctl = (...args: string[]): Promise<string> => run('vtep-ctl', [`--db=${endpoint}`, '--timeout=20', ...args], env);

  const startDb = async (): Promise<void> => {
    await run(
      'ovsdb-server',
      [
        join(dir, 'conf.db'),
        join(dir, 'vtep.db'),
        `--remote=punix:${socketPath}`,
        '--detach',
        '--no-chdir',
        `--pidfile=${dbPid}`,
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
      ],
      env,
    );
    await waitFor('ovsdb-server socket', () => canConnect(socketPath));
  };

  try {
    await run('ovsdb-tool', ['create', join(dir, 'conf.db'), VSWITCH_SCHEMA], env);
    await run('ovsdb-tool', ['create', join(dir, 'vtep.db'), VTEP_SCHEMA], env);
    await startDb();
    await vsctl('--no-wait', 'init');

    await run('ip', ['netns', 'add', netns], env);
    netnsCreated = true;
    const batch = ['link set lo up'];
    for (const p of portNames) {
      batch.push(`link add ${p} type veth peer name ${hostEnd(p)}`, `link set ${p} up`, `link set ${hostEnd(p)} up`);
    }
    await runBatch(netns, batch, env);

    const vswitchd = opts.vswitchd ?? true;
    if (vswitchd) {
      await run(
        'ip',
        [
          'netns',
          'exec',
          netns,
          'ovs-vswitchd',
          `unix:${socketPath}`,
          '--detach',
          '--no-chdir',
          `--pidfile=${swPid}`,
          `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
          `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`,
        ],
        env,
      );
    }
    const args = [...(vswitchd ? [] : ['--no-wait']), 'add-br', bridge, '--', 'set', 'bridge', bridge, 'datapath_type=netdev'];
    for (const p of portNames) {
      args.push('--', 'add-port', bridge, p);
      if (trunks.length > 0) args.push('--', 'set', 'port', p, `trunks=${trunks.join(',')}`);
    }
    await vsctl(...args);
  } catch (err) {
    cleanupSync();
    throw err;
  }

  const killDb = async (): Promise<void> => {
    const pid = readPid(dbPid);
    if (!pid) throw new Error('ovsdb-server pid unknown');
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    await waitFor('ovsdb-server to die', () => !alive(pid));
  };

  return {
    dir,
    endpoint,
    socketPath,
    netns,
    bridge,
    portNames,
    hostEnd,
    vsctl,
    vtepctl,
    async trunksOf(port: string): Promise<number[]> {
      return parseVsctlIntSet(await vsctl('get', 'port', port, 'trunks'));
    },
    async allTrunks(): Promise<Map<string, number[]>> {
      const out = await vsctl('--format=json', '--columns=name,trunks', 'list', 'port');
      const table = JSON.parse(out) as { data: [string, unknown][] };
      const map = new Map<string, number[]>();
      for (const [name, trunks] of table.data) {
        const list = Array.isArray(trunks) && trunks[0] === 'set' ? (trunks[1] as number[]) : [trunks as number];
        map.set(name, [...list].sort((a, b) => a - b));
      }
      return map;
    },
    async vtepState(ps: string): Promise<VtepGroundTruth> {
      const out: VtepGroundTruth = { bindings: [], macs: [], flood: [] };
      const vniOf = new Map<string, number>();
      for (const ls of lines(await vtepctl('list-ls'))) {
        const key = (await vtepctl('get', 'logical_switch', ls, 'tunnel_key')).trim();
        if (/^\d+$/.test(key)) vniOf.set(ls, Number(key));
      }
      for (const port of lines(await vtepctl('list-ports', ps))) {
        for (const line of lines(await vtepctl('list-bindings', ps, port))) {
          const [vlan, ls] = line.trim().split(/\s+/);
          const vni = vniOf.get(ls ?? '');
          if (vni !== undefined) out.bindings.push({ port, vlan: Number(vlan), vni });
        }
      }
      for (const [ls, vni] of vniOf) {
        let section = '';
        const flood: string[] = [];
        for (const line of lines(await vtepctl('list-remote-macs', ls))) {
          if (!line.startsWith(' ')) {
            section = line.trim();
            continue;
          }
          const m = /^\s*(\S+) -> vxlan_over_ipv4\/(\S+)/.exec(line);
          if (!m) continue;
          if (section === 'ucast-mac-remote') out.macs.push({ vni, mac: m[1]!.toLowerCase(), vtep: m[2]! });
          else if (section === 'mcast-mac-remote' && m[1] === 'unknown-dst') flood.push(m[2]!);
        }
        if (flood.length > 0) out.flood.push({ vni, vteps: [...new Set(flood)].sort() });
      }
      out.bindings.sort((a, b) => a.port.localeCompare(b.port, 'en', { numeric: true }) || a.vlan - b.vlan);
      out.macs.sort((a, b) => a.vni - b.vni || a.mac.localeCompare(b.mac));
      out.flood.sort((a, b) => a.vni - b.vni);
      return out;
    },
    killDb,
    async startVtepEmulator(ps: string): Promise<void> {
      // Debian's python3 carries python3-openvswitch; another python on PATH may not.
      await run(
        '/usr/bin/python3',
        [
          '/usr/share/openvswitch/scripts/ovs-vtep',
          '--detach',
          '--no-chdir',
          `--pidfile=${vtepPid}`,
          `--log-file=${join(dir, 'ovs-vtep.log')}`,
          ps,
        ],
        env,
      );
    },
    pauseDb(): void {
      const pid = readPid(dbPid);
      if (!pid || !alive(pid)) throw new Error('ovsdb-server is not running');
      process.kill(pid, 'SIGSTOP');
    },
    resumeDb(): void {
      const pid = readPid(dbPid);
      if (pid && alive(pid)) process.kill(pid, 'SIGCONT');
    },
    async restartDb(): Promise<void> {
      const pid = readPid(dbPid);
      if (pid && alive(pid)) throw new Error('ovsdb-server is still running');
      if (existsSync(socketPath)) rmSync(socketPath, { force: true });
      await startDb();
    },
    async stop(): Promise<void> {
      if (stopped) return;
      // Ask nicely first so the logs end cleanly, then make sure.
      for (const f of [vtepPid, swPid, dbPid]) {
        const pid = readPid(f);
        if (pid && alive(pid)) {
          try {
            process.kill(pid, 'SIGCONT'); // in case a test paused it
            process.kill(pid, 'SIGTERM');
          } catch {
            /* gone */
          }
          await waitFor(`${f} to exit`, () => !alive(pid), 3000).catch(() => undefined);
        }
      }
      cleanupSync();
    },
  };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

async function runBatch(netns: string, lines: string[], env: NodeJS.ProcessEnv): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ip', ['-n', netns, '-batch', '-'], { env, timeout: 60_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`ip -batch: ${stderr.trim() || err.message}`));
      else resolve();
    });
    child.stdin!.end(lines.join('\n') + '\n');
  });
}

// ---------------------------------------------------------------------------------------------
// An independent OVSDB observer for benches and end-to-end tests: a bare JSON-RPC socket (no
// driver code but the stream splitter) and a watch on Port.trunks that timestamps the moment a
// VLAN appears or disappears.
//
//   const obs = await BareOvsdbClient.open(ovs.socketPath);
//   const watch = await TrunkWatch.start(obs);
//   const seenAt = watch.wait('swp1', 100, true);   // performance.now() when VLAN 100 shows up
//   … act …; const latencyMs = (await seenAt) - t0; obs.close();

/** A bare JSON-RPC socket to ovsdb-server. */
export class BareOvsdbClient {
  private readonly splitter = new JsonStreamSplitter();
  private nextId = 1;
  private readonly replies = new Map<number, (v: unknown) => void>();
  onUpdate: (params: unknown) => void = () => undefined;

  private constructor(private readonly sock: Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      for (const m of this.splitter.push(d) as { id?: unknown; method?: string; params?: unknown; result?: unknown }[]) {
        if (m.method === 'update') this.onUpdate(m.params);
        else if (m.method === 'echo') sock.write(JSON.stringify({ id: m.id, result: m.params, error: null }));
        else if (typeof m.id === 'number') this.replies.get(m.id)?.(m.result);
      }
    });
  }

  static open(path: string): Promise<BareOvsdbClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ path });
      s.once('error', reject);
      s.once('connect', () => resolve(new BareOvsdbClient(s)));
    });
  }

  /** Sends a request; resolves with its result (callers timing the monitor need not await it). */
  send(method: string, params: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, (v) => {
        this.replies.delete(id);
        resolve(v);
      });
      this.sock.write(JSON.stringify({ method, params, id }));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Resolves when the observer sees `vlan` present (or absent) in `port`'s trunks. */
export class TrunkWatch {
  private waiters: { port: string; vlan: number; present: boolean; resolve: (t: number) => void }[] = [];

  /** Starts a monitor of Port name/trunks on `observer`. */
  static async start(observer: BareOvsdbClient): Promise<TrunkWatch> {
    const w = new TrunkWatch(observer);
    await observer.send('monitor', ['Open_vSwitch', 'trunk-watch', { Port: { columns: ['name', 'trunks'] } }]);
    return w;
  }

  private constructor(observer: BareOvsdbClient) {
    observer.onUpdate = (params) => {
      const t = performance.now();
      const rows = ((params as unknown[])[1] as { Port?: Record<string, { new?: { name: string; trunks: unknown } }> }).Port ?? {};
      for (const row of Object.values(rows)) {
        if (!row.new) continue;
        const tr = row.new.trunks;
        const set = Array.isArray(tr) && tr[0] === 'set' ? (tr[1] as number[]) : [tr as number];
        this.waiters = this.waiters.filter((w) => {
          if (w.port !== row.new!.name || set.includes(w.vlan) !== w.present) return true;
          w.resolve(t);
          return false;
        });
      }
    };
  }

  wait(port: string, vlan: number, present: boolean, timeoutMs = 5000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`observer never saw ${port} vlan ${vlan} ${present ? 'added' : 'removed'}`)), timeoutMs);
      this.waiters.push({
        port,
        vlan,
        present,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }
}
