// The vCenter test peer (DESIGN §7): govmomi 0.24's simulator behind our launcher
// (test/peers/vcsim, Go), with the inventory a test asks for and the simulator's gaps mended
// in-process, so a client sees what production vCenter would show.
//
//   const vc = await startVcsim({
//     hosts: [{ name: 'esx-special.lab', portgroups: [{ name: 'web', vlan: 101 }] }], // same name, other VLAN here
//     hostCount: 2,                                   // then esx-02.lab, esx-03.lab (hostPattern, overall index)
//     portgroups: [{ name: 'web', vlan: 100 }],        // standard, on every host (+ 'Management Network', VLAN 0)
//     switches: [{ name: 'DSwitch', portgroups: [
//       { name: 'dv-app', vlan: 300 }, { name: 'dv-trunk', trunk: [[400, 410]] },
//       { name: 'dv-pv', pvlan: { primary: 600, secondary: 601 } }] }],
//     vtep: { portgroup: 'dv-app' },                  // vmk1 on every host, 10.20.0.<host index>
//     vms: [{ name: 'app1', host: 'esx-02.lab', nics: [{ network: 'web' }, { network: 'dv-app' }] }],
//     vmCount: 100,                                    // then vm-00002…, round-robin over hosts and networks
//     collector: 'incremental',                        // optional: vCenter-like WaitForUpdatesEx (see VcsimSpec)
//   });
//   vc.url, vc.thumbprint            // 'https://127.0.0.1:PORT/sdk', 'AB:CD:…' (SHA-256, upper-case, colons)
//   vc.username, vc.password         // the only credentials the simulator accepts (others: InvalidLogin)
//   await vc.control.dump()          // the oracle: hosts (pnics, portgroups+VLAN, dvs uplinks, vmknics, vms),
//                                    // networks (standard | distributed, VLAN spec, dvs uuid), vms (vnics)
//   await vc.control.relocate('app1', 'esx-03.lab')                        // vMotion, events included
//   await vc.control.relocate('app1', 'esx-03.lab', { startOnly: true, delayMs: 2000 }) // start event now, move later
//   await vc.control.relocate('app1', 'esx-03.lab', { direct: true })     // no Task object (cheaper at scale)
//   await vc.control.power('app1', false)
//   await vc.control.createVm({ name: 'new1', host: 'esx-02.lab', nics: [{ network: 'dv-app' }] })
//   await vc.control.destroyVm('new1')
//   await vc.control.setVlan({ portgroup: 'web', hosts: ['esx-02.lab'], vlan: 150 })     // standard, per host
//   await vc.control.setVlan({ portgroup: 'dv-app', trunk: [[1, 5]] })                   // distributed
//   await vc.control.addVnic('app1', { network: 'web' }); await vc.control.removeVnic('app1', { mac })
//   await vc.control.postEvent({ type: 'VmBeingHotMigratedEvent', vm: 'app1', destHost: 'esx-03.lab' })
//   await vc.control.hostState('esx-02.lab', { connectionState: 'disconnected' })   // or { inMaintenance: true }
//   await vc.control.sessions()      // { sessions: [...], byUser: { user: n } } (the launcher's own excluded)
//   await vc.control.killSessions()  // every client session terminated: next call fails NotAuthenticated
//   await vc.control.freeze(true)    // SOAP port accepts and reads requests but never answers (incl. in-flight)
//   await vc.control.outage(true)    // vCenter down: port closed; outage(false): back, same inventory, no sessions
//   await vc.control.startFloor(props?) // a bare govmomi WaitForUpdatesEx client (or { floor: true } at start)
//   await vc.control.floor()         // its delays, RelocateVM call → runtime.host seen, for every relocate
//   await vc.kill(); await vc.restart();   // crash and come back on the same port, inventory rebuilt from the spec
//   await vc.restart({ ...vc.spec, vms: [...] })   // …or from a changed spec (what changed while it was down)
//   await vc.stop();                 // idempotent; always call it in afterAll
//
// VMs and hosts are named by name or moid everywhere. Moids are deterministic for a given spec
// (a restart rebuilds the same ones); MACs too: pNICs 00:50:56:aa:HH:NN (HH host index, NN
// vmnic number), vNICs 00:50:56:SS:SS:NN (SS VM serial), vmknics 00:50:56:60:HH:NN.
// A restart rebuilds the inventory from the spec: changes made through `control` are lost.
//
// What the launcher mends (DESIGN §7): VmBeingHotMigratedEvent (destHost) is posted before
// RelocateVM_Task and VmMigratedEvent (sourceHost) after; HostSystem.vm of both hosts is
// re-emitted (also after create/destroy); per-host standard portgroups with VLANs are written
// into HostSystem.config.network (pnic, vswitch with bridge/teaming uplinks, portgroup, vnic,
// proxySwitch), host.network and Network.host; distributed portgroups carry VLAN id, trunk or
// PVLAN specs (the DVS's config.pvlanConfig maps secondary → primary), the DVS has
// config.host with pNIC backings and config.uplinkPortgroup, whose portgroup has
// config.uplink = true; a destroyed VM stays registered (outside every folder and view) so a
// watcher with a multi-type filter does not crash on its queued changes (0.24 panics and
// resets the connection). The EventManager's broken VmMigratedEvent template (it made
// PostEvent panic) is fixed, and xsi:type is written as vCenter writes it. Changes are
// emitted on these property paths (watch them or a parent):
// HostSystem config.network.{pnic,vswitch,portgroup,vnic,proxySwitch}, network, vm;
// DistributedVirtualPortgroup config.defaultPortConfig.vlan; VirtualMachine runtime.host,
// runtime.powerState, config.hardware.device; Network host.
//
// Simulator behaviour left as is (collector 'simulator', the default): WaitForUpdatesEx
// re-collects every filter in full on every object change, answers on a 250 ms tick and
// ignores maxObjectUpdates (at 500 hosts / 10k VMs a vMotion reaches a watcher seconds late;
// collector 'incremental' delivers in a few ms and pages). Always: RetrievePropertiesEx answers even without a session (a
// killed session shows as NotAuthenticated on WaitForUpdatesEx, CreateFilter, etc.); the TLS
// certificate is Go's fixed test certificate (same thumbprint every run).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const VCSIM_BIN = join(REPO_ROOT, '.cache/vcsim');

// ---------------------------------------------------------------------------------------------
// Spec (mirrors test/peers/vcsim/spec.go)

export interface VcsimVlan {
  /** VLAN id 0-4095 (standard: 4095 = all) */
  vlan?: number;
  /** distributed only: trunk ranges, inclusive */
  trunk?: [number, number][];
  /** distributed only: private VLAN */
  pvlan?: { primary: number; secondary: number; type?: 'isolated' | 'community' | 'promiscuous' };
}

export interface VcsimPortgroup extends VcsimVlan {
  name: string;
  /** standard only: the vSwitch (default vSwitch0) */
  vswitch?: string;
}

export interface VcsimVswitch {
  name: string;
  /** pNIC devices, e.g. ['vmnic0'] */
  uplinks: string[];
}

export interface VcsimHost {
  name: string;
  /** default vmnic0…vmnic{pnicCount-1} */
  pnics?: string[];
  /** MACs of some pNICs, e.g. { vmnic0: <the MAC of the veth its lldpd speaks from> }; others 00:50:56:aa:HH:NN */
  pnicMacs?: Record<string, string>;
  /** override (same name) or extend the spec-wide standard portgroups on this host */
  portgroups?: VcsimPortgroup[];
  vswitches?: VcsimVswitch[];
  vtepIp?: string;
}

export interface VcsimSwitch {
  name: string;
  /** pNIC devices that are this DVS's uplinks on every host (default the last pNIC) */
  uplinks?: string[];
  portgroups?: VcsimPortgroup[];
}

export interface VcsimNic {
  network: string;
  mac?: string;
  connected?: boolean;
}

export interface VcsimVm {
  name: string;
  host: string;
  nics?: VcsimNic[];
  /** default true */
  powerOn?: boolean;
}

export interface VcsimSpec {
  /**
   * 'simulator' (default): govmomi's own WaitForUpdatesEx, a full re-collect of every filter per
   * object change on a 250 ms tick (seconds behind at 10k VMs). 'incremental': the launcher's
   * (collector.go) — re-reads only what changed, answers at once, pages by maxObjectUpdates,
   * as vCenter does. The env VMTRACE_VCSIM_COLLECTOR sets the default.
   */
  collector?: 'simulator' | 'incremental';
  username?: string;
  password?: string;
  datacenter?: string;
  cluster?: string;
  hosts?: VcsimHost[];
  /** hosts generated after the listed ones, named by hostPattern (default 'esx-%02d.lab') with their overall index */
  hostCount?: number;
  hostPattern?: string;
  /** pNICs per host (default 2: vmnic0 on vSwitch0, vmnic1 for distributed switches) */
  pnicCount?: number;
  /** default [{ name: 'vSwitch0', uplinks: ['vmnic0'] }] */
  vswitches?: VcsimVswitch[];
  /** standard portgroups on every host; default [{ name: 'VM Network', vlan: 0 }] when there is no DVS */
  portgroups?: VcsimPortgroup[];
  switches?: VcsimSwitch[];
  /** a VTEP vmknic (default vmk1) on every host, on this standard or distributed portgroup */
  vtep?: { portgroup: string; device?: string; base?: string };
  vms?: VcsimVm[];
  /** VMs generated after the listed ones (vmPattern, default 'vm-%05d'), round-robin over hosts and vmNetworks */
  vmCount?: number;
  vmPattern?: string;
  /** networks of generated VMs (default: every standard then distributed portgroup) */
  vmNetworks?: string[];
}

// ---------------------------------------------------------------------------------------------
// Dump (the oracle), shaped like shared/model.ts facts with moids as keys

export type DumpVlan =
  | { kind: 'vlan'; vlan: number }
  | { kind: 'trunk'; ranges: { from: number; to: number }[] }
  | { kind: 'pvlan'; primary: number; secondary: number }
  | { kind: 'none' };

export interface DumpHost {
  moid: string;
  name: string;
  pnics: { device: string; mac: string }[];
  portgroups: { name: string; vlan: DumpVlan; uplinks: string[] }[];
  /** distributed switch memberships: dvs = the DVS uuid */
  dvs: { dvs: string; uplinks: string[] }[];
  /** portgroup: a standard portgroup name or a distributed portgroup key (= its moid) */
  vmknics: { device: string; portgroup: string; ip: string | null; mac: string | null }[];
  /** HostSystem.vm moids, sorted */
  vms: string[];
  connectionState: 'connected' | 'disconnected' | 'notResponding';
  inMaintenance: boolean;
}

export interface DumpNetwork {
  moid: string;
  name: string;
  kind: 'standard' | 'distributed';
  /** distributed only; standard portgroups take theirs from each host */
  vlan: DumpVlan | null;
  dvs: string | null;
  uplink: boolean;
  hosts: string[];
}

export interface DumpVm {
  moid: string;
  name: string;
  /** instance UUID */
  uuid: string | null;
  powerState: 'poweredOn' | 'poweredOff' | 'suspended';
  template: boolean;
  host: string | null;
  vnics: { key: number; mac: string; network: string | null; connected: boolean }[];
}

export interface VcsimDump {
  hosts: DumpHost[];
  networks: DumpNetwork[];
  vms: DumpVm[];
}

export interface RelocateResult {
  vm: string;
  from: string;
  to: string;
  /** epoch ms (fractional) of the start event */
  startedAt: number;
  /** epoch ms of the RelocateVM_Task call (the floor's t0); absent with startOnly */
  movedAt?: number;
  /** epoch ms once VmMigratedEvent was posted; absent with startOnly */
  doneAt?: number;
}

export interface SessionInfo {
  key: string;
  userName: string;
  ipAddress: string;
  userAgent: string;
  loginTime: number;
  lastActiveTime: number;
}

export interface FloorReport {
  running: boolean;
  error?: string;
  count: number;
  /** relocates whose update the floor client has not seen yet */
  pending: number;
  p50: number;
  p99: number;
  samples: { vm: string; host: string; ms: number }[];
}

export interface VcsimEvent {
  /** any vim25 Event type, e.g. 'VmBeingHotMigratedEvent', 'VmPoweredOffEvent' */
  type: string;
  vm?: string;
  host?: string;
  destHost?: string;
  sourceHost?: string;
  message?: string;
}

export interface VcsimControl {
  dump(): Promise<VcsimDump>;
  /**
   * vMotion vm to host: VmBeingHotMigratedEvent, then the move (delayMs later; in the
   * background with startOnly), HostSystem.vm of both hosts, VmMigratedEvent. direct: move
   * without a RelocateVM_Task object (3 fewer simulator updates: use it at scale, see floor()).
   */
  relocate(vm: string, host: string, opts?: { startOnly?: boolean; delayMs?: number; direct?: boolean }): Promise<RelocateResult>;
  power(vm: string, on: boolean): Promise<{ vm: string; powerState: string; changed: boolean }>;
  createVm(vm: VcsimVm): Promise<{ moid: string; name: string }>;
  destroyVm(vm: string): Promise<{ moid: string }>;
  setVlan(req: { portgroup: string; hosts?: string[] } & VcsimVlan): Promise<{ kind: 'standard' | 'distributed'; hosts?: string[] }>;
  addVnic(vm: string, nic: VcsimNic): Promise<{ key: number; mac: string }>;
  removeVnic(vm: string, which: { key?: number; mac?: string }): Promise<{ removed: boolean }>;
  postEvent(ev: VcsimEvent): Promise<{ posted: boolean }>;
  /** runtime.connectionState / maintenance mode, with HostDisconnected/Connected and maintenance events */
  hostState(host: string, state: { connectionState?: 'connected' | 'disconnected' | 'notResponding'; inMaintenance?: boolean }): Promise<{ host: string }>;
  sessions(): Promise<{ sessions: SessionInfo[]; byUser: Record<string, number> }>;
  killSessions(user?: string): Promise<{ terminated: number }>;
  freeze(on: boolean): Promise<{ frozen: boolean }>;
  /** vCenter down (port closed, connections cut) / back (same inventory and moids, every session gone) */
  outage(on: boolean): Promise<{ down: boolean }>;
  /**
   * Start the bare WaitForUpdatesEx client (no-op when running). props: its filter's property
   * set by type (default { VirtualMachine: ['runtime.host'] }); pass the agent's own set for a
   * fair floor — the simulator re-collects every filter on every object change, so its cost
   * grows with the inventory and the properties watched.
   */
  startFloor(props?: Record<string, string[]>): Promise<{ running: boolean }>;
  /** reset: clear the samples after reading them */
  floor(reset?: boolean): Promise<FloorReport>;
}

export interface VcsimOptions {
  /** start the bare WaitForUpdatesEx floor client at once (else control.startFloor()) */
  floor?: boolean;
  /** simulator log file (default discarded) */
  logFile?: string;
  /** ms to wait for the launcher's first line (default 180 s: 10k VMs on a busy box) */
  startTimeoutMs?: number;
}

export interface Vcsim {
  url: string;
  thumbprint: string;
  username: string;
  password: string;
  /** SOAP port on 127.0.0.1, kept across restart() */
  port: number;
  controlUrl: string;
  /** ms the launcher took to build the inventory */
  buildMs: number;
  spec: VcsimSpec;
  control: VcsimControl;
  pid(): number | undefined;
  /** SIGTERM, then SIGKILL after 5 s; idempotent */
  stop(): Promise<void>;
  /** SIGKILL: a vCenter that dies */
  kill(): Promise<void>;
  /**
   * Start again on the same ports (kills a running one first), from the same spec or from
   * `spec` (e.g. VMs moved while vCenter was down); moids stay stable while the spec keeps its
   * shape (same hosts, networks and VMs in the same order).
   */
  restart(spec?: VcsimSpec): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Build

/** Builds .cache/vcsim when missing or older than a Go source (as scripts/install-deps.sh). */
export function ensureVcsimBinary(): string {
  const script = `
    bin=.cache/vcsim
    if [ ! -x "$bin" ] || [ -n "$(find test/peers/vcsim -name '*.go' -newer "$bin" | head -1)" ]; then
      mkdir -p .cache/gopath
      GO111MODULE=off GOPATH="$PWD/.cache/gopath:/usr/share/gocode" GOCACHE="$PWD/.cache/gocache" \\
        GOFLAGS=-mod=mod go build -o "$bin" ./test/peers/vcsim
    fi`;
  // Test files run in parallel: one builds, the others wait and then find it fresh.
  execFileSync('flock', ['/tmp/vmtrace-vcsim-build.lock', 'sh', '-c', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
  return VCSIM_BIN;
}

// ---------------------------------------------------------------------------------------------
// Process

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

interface Started {
  child: ChildProcess;
  info: { url: string; thumbprint: string; control: string; username: string; password: string; buildMs: number };
}

function launch(args: string[], timeoutMs: number): Promise<Started> {
  const child = spawn(VCSIM_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vcsim did not start within ${timeoutMs} ms: ${err.trim()}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`vcsim exited (${code ?? signal}) before serving: ${err.trim()}`));
    };
    child.once('exit', onExit);
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      try {
        resolve({ child, info: JSON.parse(out.slice(0, nl)) });
      } catch (e) {
        child.kill('SIGKILL');
        reject(new Error(`vcsim printed no JSON line: ${out.slice(0, nl)}`, { cause: e }));
      }
    });
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function call<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? (method === 'POST' ? '{}' : undefined) : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`vcsim control ${path}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(`vcsim control ${path}: ${(json as { error?: string }).error ?? res.status}`);
  return json as T;
}

function controlClient(base: () => string): VcsimControl {
  const get = <T>(path: string) => call<T>(base(), 'GET', path);
  const post = <T>(path: string, body?: unknown) => call<T>(base(), 'POST', path, body);
  return {
    dump: () => get('/dump'),
    relocate: (vm, host, opts = {}) => post('/relocate', { vm, host, ...opts }),
    power: (vm, on) => post('/power', { vm, on }),
    createVm: (vm) => post('/vm/create', vm),
    destroyVm: (vm) => post('/vm/destroy', { vm }),
    setVlan: (req) => post('/vlan', req),
    addVnic: (vm, nic) => post('/vnic/add', { vm, ...nic }),
    removeVnic: (vm, which) => post('/vnic/remove', { vm, ...which }),
    postEvent: (ev) => post('/event', ev),
    hostState: (host, state) => post('/host/state', { host, ...state }),
    sessions: () => get('/sessions'),
    killSessions: (user) => post('/sessions/kill', user === undefined ? {} : { user }),
    freeze: (on) => post('/freeze', { on }),
    outage: (on) => post('/outage', { on }),
    startFloor: (props) => post('/floor/start', props === undefined ? {} : { props }),
    floor: (reset = false) => get(`/floor${reset ? '?reset=1' : ''}`),
  };
}

/** Starts the simulator with the given inventory on 127.0.0.1 (free ports). */
export async function startVcsim(spec: VcsimSpec = {}, opts: VcsimOptions = {}): Promise<Vcsim> {
  ensureVcsimBinary();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'vmt-vcsim-'));
  const specFile = join(dir, 'spec.json');
  const collector = spec.collector ?? process.env.VMTRACE_VCSIM_COLLECTOR;
  if (collector && !spec.collector) spec = { ...spec, collector: collector as VcsimSpec['collector'] };
  writeFileSync(specFile, JSON.stringify(spec));
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  const baseArgs = ['-spec', specFile];
  if (opts.logFile) baseArgs.push('-log', opts.logFile);
  if (opts.floor) baseArgs.push('-floor');

  let started: Started;
  try {
    started = await launch(baseArgs, timeoutMs);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let child: ChildProcess | undefined = started.child;
  const port = Number(new URL(started.info.url).port);
  const controlPort = Number(new URL(started.info.control).port);
  let controlUrl = started.info.control;
  let stopped = false;

  const vc: Vcsim = {
    url: started.info.url,
    thumbprint: started.info.thumbprint,
    username: started.info.username,
    password: started.info.password,
    port,
    controlUrl,
    buildMs: started.info.buildMs,
    spec,
    control: controlClient(() => controlUrl),
    pid: () => child?.pid,
    async stop() {
      stopped = true;
      if (child) {
        const c = child;
        child = undefined;
        c.kill('SIGTERM');
        if (!(await waitExit(c, 5000))) {
          c.kill('SIGKILL');
          await waitExit(c, 5000);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGKILL');
      await waitExit(c, 5000);
    },
    async restart(next?: VcsimSpec) {
      if (stopped) throw new Error('vcsim: restart after stop()');
      await vc.kill();
      if (next) {
        writeFileSync(specFile, JSON.stringify(next));
        vc.spec = next;
      }
      // The port was just freed; retry briefly in case the kernel still holds it.
      let lastErr: unknown;
      for (let i = 0; i < 3; i++) {
        try {
          const s = await launch([...baseArgs, '-port', String(port), '-control-port', String(controlPort)], timeoutMs);
          child = s.child;
          controlUrl = s.info.control;
          vc.buildMs = s.info.buildMs;
          return;
        } catch (e) {
          lastErr = e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      throw lastErr;
    },
  };
  return vc;
}
