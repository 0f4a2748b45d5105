// Test helper: ESXi-like hosts made of a network namespace and lldpd (DESIGN §7), cabled by a
// veth pair to a "switch port" left in the root namespace under a unique name, where the LLDP
// source captures (npm `cap` opens interfaces in its own process's namespace, and the agent
// under test runs in the root one). Each host: sysName, port id = ifname `vmnicN`, sysDescr
// "VMware ESXi …", optionally CDP only (`-ccccc`), tx-interval 1.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function trySh(cmd: string, args: string[]): void {
  try {
    sh(cmd, args);
  } catch {
    // cleanup of something already gone
  }
}

export interface HostLink {
  ns: string;
  /** the host-side NIC name inside the namespace */
  nic: string;
  /** the switch-side end, in the root namespace */
  switchPort: string;
  mac: string;
}

/** A namespace with `nic` cabled to `switchPort` (root namespace). Names must be ≤ 15 chars. */
export function createHostLink(ns: string, switchPort: string, nic: string, mac: string, ip: string): HostLink {
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', switchPort, 'type', 'veth', 'peer', 'name', nic, 'netns', ns]);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', ns, 'link', 'set', nic, 'address', mac, 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', nic]);
  // no IPv6 chatter on the switch end; it only listens
  trySh('sysctl', ['-qw', `net.ipv6.conf.${switchPort}.disable_ipv6=1`]);
  sh('ip', ['link', 'set', switchPort, 'up']);
  return { ns, nic, switchPort, mac };
}

export function destroyHostLink(link: HostLink): void {
  killNamespace(link.ns);
  trySh('ip', ['link', 'del', link.switchPort]);
  trySh('ip', ['netns', 'del', link.ns]);
}

/** kill -9 every process in a namespace (lldpd's monitor and its unprivileged child). */
export function killNamespace(ns: string): void {
  let pids: string[] = [];
  try {
    pids = sh('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean);
  } catch {
    return;
  }
  for (const p of pids) trySh('kill', ['-9', p]);
}

export interface EsxiOptions {
  hostname: string;
  description?: string;
  mgmtIp: string;
  /** lldpd -ccccc: CDPv2 only, as a standard vSwitch host */
  cdpOnly?: boolean;
  /** TTL = tx-interval (1 s) × tx-hold; lldpd's default hold is 4 */
  txHold?: number;
}

export interface EsxiLldpd {
  proc: ChildProcess;
  dir: string;
  sock: string;
  /** ms since epoch when `resume` returned: no frame is sent before */
  resumedAt: number;
  /** SIGTERM: lldpd sends its shutdown LLDPDU (TTL 0) on the way out */
  stop(): Promise<void>;
  /** kill -9 of every lldpd process of the host: no shutdown frame */
  kill(): void;
  log(): string;
}

export async function startEsxiLldpd(link: HostLink, o: EsxiOptions): Promise<EsxiLldpd> {
  const dir = mkdtempSync(join(tmpdir(), 'vmtrace-lldpd-'));
  // lldpd's unprivileged side must reach the socket: a 0700 mktemp dir gets "Permission denied"
  chmodSync(dir, 0o755);
  const sock = join(dir, 'lldpd.sock');
  const conf = join(dir, 'esx.conf');
  writeFileSync(
    conf,
    [
      `configure system hostname ${o.hostname}`,
      `configure system description "${o.description ?? 'VMware ESXi 8.0.2 build-22380479'}"`,
      'configure system platform "VMware ESX"',
      `configure system ip management pattern ${o.mgmtIp}`,
      `configure system interface pattern ${link.nic}`,
      'configure lldp tx-interval 1',
      ...(o.txHold ? [`configure lldp tx-hold ${o.txHold}`] : []),
      'configure lldp portidsubtype ifname',
      `configure ports ${link.nic} lldp portdescription ${link.nic}`,
      '',
    ].join('\n'),
  );
  chmodSync(conf, 0o644);
  const args = ['netns', 'exec', link.ns, 'lldpd', '-d', '-u', sock, '-O', conf, ...(o.cdpOnly ? ['-ccccc'] : [])];
  const proc = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (s: string) => {
    log += s;
  });
  const deadline = Date.now() + 10_000;
  let resumedAt = 0;
  for (;;) {
    try {
      sh('lldpcli', ['-u', sock, '-c', conf, 'resume']);
      resumedAt = Date.now();
      const chassis = sh('lldpcli', ['-u', sock, 'show', 'chassis']);
      if (chassis.includes(o.hostname)) break;
    } catch {
      // socket not there yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`lldpd in ${link.ns} did not come up: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    dir,
    sock,
    resumedAt,
    log: () => log,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((res) => {
        const t = setTimeout(() => {
          killNamespace(link.ns);
          res();
        }, 5000);
        proc.once('exit', () => {
          clearTimeout(t);
          res();
        });
        proc.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
    kill() {
      killNamespace(link.ns);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
