// The lab's wires: one namespace per ESXi-like host running lldpd as ESXi would (DESIGN §7),
// cabled by a veth pair to a switch port in the root namespace, where Open vSwitch (userspace,
// datapath_type=netdev) owns the port and the agent captures LLDP/CDP. Daemons are detached:
// they outlive `lab.ts up` and are found again through pidfiles and namespaces.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHostLink, killNamespace } from '../helpers/lldpd.js';
import { VSWITCH_SCHEMA } from '../helpers/ovs.js';
import { daemon, LabError, ourPid, run, sh, stopPid, trySh, vswitchdsHere, waitFor } from './proc.js';

export interface LabHost {
  name: string;
  ns: string;
  port: string;
  /** vmnic0's MAC: the simulator's pNIC MAC for this host (00:50:56:aa:HH:00) */
  mac: string;
  mgmtIp: string;
  cdpOnly: boolean;
  /** TTL of its LLDP/CDP frames: tx-interval 1 s × tx-hold */
  ttlS: number;
}

/** pNIC MACs as the simulator launcher makes them (test/peers/vcsim/network.go pnicMAC). */
export function pnicMac(hostIndex: number, nic: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `00:50:56:${h(0xaa + (hostIndex >> 8))}:${h(hostIndex & 0xff)}:${h(nic)}`;
}

export function startHost(dir: string, host: LabHost): void {
  createHostLink(host.ns, host.port, 'vmnic0', host.mac, host.mgmtIp);
  // lldpd's unprivileged side must reach the control socket: 0755 all the way
  const hdir = join(dir, host.ns);
  mkdirSync(hdir, { recursive: true, mode: 0o755 });
  chmodSync(hdir, 0o755);
  const conf = join(hdir, 'esx.conf');
  writeFileSync(
    conf,
    [
      `configure system hostname ${host.name}`,
      'configure system description "VMware ESXi 8.0.2 build-22380479"',
      'configure system platform "VMware ESX"',
      `configure system ip management pattern ${host.mgmtIp}`,
      'configure system interface pattern vmnic0',
      'configure lldp tx-interval 1',
      `configure lldp tx-hold ${host.ttlS}`,
      'configure lldp portidsubtype ifname',
      'configure ports vmnic0 lldp portdescription vmnic0',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  daemon('ip', ['netns', 'exec', host.ns, 'lldpd', '-d', '-u', join(hdir, 'lldpd.sock'), '-O', conf, ...(host.cdpOnly ? ['-ccccc'] : [])], {
    pidFile: join(hdir, 'lldpd.pid'),
    out: join(hdir, 'lldpd.log'),
  });
}

/**
 * lldpd starts paused here; a bare `resume` could send frames before the -O config is in, so
 * resume with the config and wait until the chassis carries the ESXi host name.
 */
export async function resumeHost(dir: string, host: LabHost): Promise<void> {
  const hdir = join(dir, host.ns);
  const sock = join(hdir, 'lldpd.sock');
  await waitFor(`lldpd of ${host.name} (namespace ${host.ns}) to come up`, 10_000, async () => {
    const r = await run('lldpcli', ['-u', sock, '-c', join(hdir, 'esx.conf'), 'resume']);
    if (r.code !== 0) return false;
    const c = await run('lldpcli', ['-u', sock, 'show', 'chassis']);
    return c.code === 0 && c.stdout.includes(host.name);
  }, 100);
}

export function stopHost(ns: string, port: string | null): void {
  killNamespace(ns);
  trySh('ip', ['netns', 'del', ns]);
  if (port) trySh('ip', ['link', 'del', port]);
}

// ---------------------------------------------------------------------------------------------
// Open vSwitch in the root namespace, its files in the lab dir

export function ovsEnv(ovsDir: string): NodeJS.ProcessEnv {
  return { ...process.env, OVS_RUNDIR: ovsDir, OVS_LOGDIR: ovsDir, OVS_DBDIR: ovsDir, OVS_SYSCONFDIR: ovsDir };
}

export const ovsEndpoint = (ovsDir: string): string => `unix:${join(ovsDir, 'db.sock')}`;

export function vsctl(ovsDir: string, ...args: string[]): Promise<string> {
  return run('ovs-vsctl', [`--db=${ovsEndpoint(ovsDir)}`, '--timeout=20', ...args], ovsEnv(ovsDir)).then((r) => {
    if (r.code !== 0) throw new LabError(`ovs-vsctl ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  });
}

export async function startOvs(ovsDir: string, bridge: string, ports: string[]): Promise<void> {
  mkdirSync(ovsDir, { recursive: true, mode: 0o755 });
  const env = ovsEnv(ovsDir);
  const f = (n: string) => join(ovsDir, n);
  sh('ovsdb-tool', ['create', f('conf.db'), VSWITCH_SCHEMA], env);
  sh('ovsdb-server', [f('conf.db'), `--remote=punix:${f('db.sock')}`, '--detach', '--no-chdir', `--pidfile=${f('ovsdb-server.pid')}`, `--log-file=${f('ovsdb-server.log')}`, `--unixctl=${f('ovsdb-server.ctl')}`], env);
  await vsctl(ovsDir, '--no-wait', 'init');
  sh('ovs-vswitchd', [`unix:${f('db.sock')}`, '--detach', '--no-chdir', `--pidfile=${f('ovs-vswitchd.pid')}`, `--log-file=${f('ovs-vswitchd.log')}`, `--unixctl=${f('ovs-vswitchd.ctl')}`], env);
  const args = ['add-br', bridge, '--', 'set', 'bridge', bridge, 'datapath_type=netdev'];
  for (const p of ports) args.push('--', 'add-port', bridge, p, '--', 'set', 'port', p, 'trunks=1');
  await vsctl(ovsDir, ...args);
  // A switch that speaks CDP consumes CDP frames. OVS drops LLDP's reserved multicast itself,
  // and untagged frames on these trunk ports (no VLAN 0 in trunks); should a port ever carry a
  // native VLAN, this flow still keeps one host's CDP from being flooded to the others.
  sh('ovs-ofctl', ['add-flow', bridge, 'priority=100,dl_dst=01:00:0c:cc:cc:cc,actions=drop'], env);
}

export async function stopOvs(ovsDir: string, bridge: string): Promise<void> {
  await stopPid(join(ovsDir, 'ovs-vswitchd.pid'), ovsDir);
  await stopPid(join(ovsDir, 'ovsdb-server.pid'), ovsDir);
  // the netdev datapath's bridge is a persistent tap that outlives ovs-vswitchd
  if (isTap(bridge)) trySh('ip', ['link', 'del', bridge]);
  removeDatapathTap();
}

/** The userspace datapath's own tap (ovs-netdev), one per namespace: gone once no ovs-vswitchd is left here. */
export const DATAPATH_TAP = 'ovs-netdev';

export function removeDatapathTap(): void {
  if (isTap(DATAPATH_TAP) && vswitchdsHere().length === 0) trySh('ip', ['link', 'del', DATAPATH_TAP]);
}

export function isTap(name: string): boolean {
  try {
    return /\btun type tap\b/.test(sh('ip', ['-d', 'link', 'show', name]));
  } catch {
    return false;
  }
}

export function ovsRunning(ovsDir: string): { db: boolean; vswitchd: boolean } {
  return { db: ourPid(join(ovsDir, 'ovsdb-server.pid'), ovsDir) !== null, vswitchd: ourPid(join(ovsDir, 'ovs-vswitchd.pid'), ovsDir) !== null };
}

/** Ground truth: every port's trunks as ovs-vsctl reads them, in one call. */
export async function readTrunks(ovsDir: string, ports: string[]): Promise<Map<string, number[]>> {
  const out = await vsctl(ovsDir, '--format=json', '--columns=name,trunks', 'list', 'port');
  const table = JSON.parse(out) as { data: [string, unknown][] };
  const map = new Map<string, number[]>();
  for (const [name, trunks] of table.data) {
    if (!ports.includes(name)) continue;
    const list = Array.isArray(trunks) && trunks[0] === 'set' ? (trunks[1] as number[]) : [trunks as number];
    map.set(name, [...list].sort((a, b) => a - b));
  }
  return map;
}

/** `ovs-vsctl get port P trunks` for each port, as an operator would type it. */
export async function vsctlTrunksText(ovsDir: string, ports: string[]): Promise<string> {
  const lines: string[] = [];
  for (const p of ports) {
    const t = (await vsctl(ovsDir, 'get', 'port', p, 'trunks')).trim();
    lines.push(`${p.padEnd(12)} ${t}`);
  }
  return lines.join('\n');
}
