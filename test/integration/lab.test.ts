// The lab (test/lab/lab.ts), as scripts/lab.sh drives it: up, status --json, vmotion, down,
// each a separate process. Its own instance (--prefix, --dir, --snmp-port) so it runs beside
// other test files and an operator's lab. Ground truth from ovs-vsctl, never from the lab or
// the agent.

import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVsctlIntSet } from '../helpers/ovs.js';
import { REPO_ROOT } from '../helpers/vcsim.js';
import type { LabStatus } from '../lab/status.js';
import type { VmotionResult } from '../lab/vmotion.js';

const TSX = join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const LAB = join(REPO_ROOT, 'test/lab/lab.ts');
const PREFIX = `t${process.pid.toString(36)}`.slice(0, 6);
const DIR = join(tmpdir(), `vmt-lab-${PREFIX}`);
const HOLD_S = 5;
let snmpPort = 0;

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function lab(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', TSX, LAB, ...args, '--prefix', PREFIX, '--dir', DIR, '--snmp-port', String(snmpPort), '--hold-down', String(HOLD_S)], {
    cwd: REPO_ROOT,
    env: { ...process.env, VMTRACE_LAB_HINTS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const port = (n: number): string => `${PREFIX}swp${n}`;

function trunks(p: string): number[] {
  const out = execFileSync('ovs-vsctl', [`--db=unix:${join(DIR, 'ovs/db.sock')}`, '--timeout=10', 'get', 'port', p, 'trunks'], { encoding: 'utf8' });
  return parseVsctlIntSet(out);
}

/** a zombie (its parent, lab.ts up, exited long ago) is not running */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${PREFIX}vlab-`));

beforeAll(async () => {
  snmpPort = await freeUdpPort();
});

afterAll(async () => {
  // whatever happened above: nothing of this instance may stay behind
  await lab('down');
}, 60_000);

describe('the lab: everything real on one machine', () => {
  let status: LabStatus;
  let agentPid: number | null = null;

  it('up brings up simulator, hosts, OVS and the agent, converges, and shows the agent over SNMP', async () => {
    const r = await lab('up');
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(/^converged [\d.]+ s after the agent started$/m);
    expect(r.stdout).toMatch(/thumbprint\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(r.stdout).toContain(': ok'); // vmtrace config check
    // vmtrace show ports / neighbors, read over SNMP with the community file
    expect(r.stdout).toMatch(new RegExp(`${port(1)}\\s+yes\\s+ok\\s+esx-01\\.lab vmnic0 \\(lldp\\)`));
    expect(r.stdout).toMatch(new RegExp(`${port(4)}\\s+cdp\\s+esx-04\\.lab\\s+vmnic0`));
  }, 120_000);

  it('status --json reports it up and converged, and its trunks are what ovs-vsctl reads', async () => {
    const r = await lab('status', '--json');
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    status = JSON.parse(r.stdout) as LabStatus;
    expect(status.up).toBe(true);
    expect(status.converged).toBe(true);
    expect(status.problems).toEqual([]);
    expect(status.hosts.map((h) => [h.name, h.port, h.protocol, h.mac])).toEqual([
      ['esx-01.lab', port(1), 'lldp', '00:50:56:aa:01:00'],
      ['esx-02.lab', port(2), 'lldp', '00:50:56:aa:02:00'],
      ['esx-03.lab', port(3), 'lldp', '00:50:56:aa:03:00'],
      ['esx-04.lab', port(4), 'cdp', '00:50:56:aa:04:00'],
    ]);
    for (const p of status.ports) expect(trunks(p.port)).toEqual(p.trunks);
    // the inventory: web 110 (111 on esx-04, a per-host standard portgroup), db 120, backup 130
    // (backup-01 on esx-01 only), dv-app 300 (esx-04's only dv-app VM is powered off)
    expect(trunks(port(1))).toEqual([1, 110, 120, 130, 300]);
    expect(trunks(port(2))).toEqual([1, 110, 120, 300]);
    expect(trunks(port(3))).toEqual([1, 110, 120, 300]);
    expect(trunks(port(4))).toEqual([1, 111, 120]);
    agentPid = status.agent.pid;
    expect(agentPid).toBeGreaterThan(1);
  }, 60_000);

  it('vmotion: the destination gains the VLAN at once, the source keeps it through hold-down', async () => {
    const r = await lab('vmotion', '--json');
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as VmotionResult;
    expect(v).toMatchObject({ vm: 'backup-01', vlan: 130, from: { host: 'esx-01.lab', port: port(1) }, to: { host: 'esx-02.lab', port: port(2) }, sourceKept: true });
    expect(v.addMs).toBeLessThan(3000);
    expect(v.removeMs).toBeGreaterThanOrEqual(HOLD_S * 1000);
    expect(trunks(port(2))).toEqual([1, 110, 120, 130, 300]);
    expect(trunks(port(1))).toEqual([1, 110, 120, 300]);
  }, 90_000);

  it('down stops everything and leaves no namespace, interface, process or dir behind', async () => {
    const r = await lab('down');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('agent');
    expect(namespaces()).toEqual([]);
    for (const n of [1, 2, 3, 4]) expect(existsSync(`/sys/class/net/${port(n)}`)).toBe(false);
    expect(existsSync(`/sys/class/net/${PREFIX}br0`)).toBe(false);
    expect(existsSync('/sys/class/net/ovs-netdev')).toBe(false); // the userspace datapath's tap
    expect(existsSync(DIR)).toBe(false);
    if (agentPid) expect(running(agentPid)).toBe(false);
    const again = await lab('down');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to do');
  }, 60_000);
});
