// A real net-snmp snmpd for one test: its own temp dir, config, persistent dir, ports and
// AgentX sockets (unix and tcp), in the foreground (-f) so that stop() really stops it.
// `-C` ignores /etc/snmp/snmpd.conf, `MIBS=` keeps it quiet about MIBs Debian does not ship.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Snmpd {
  dir: string;
  /** udp port on 127.0.0.1 */
  port: number;
  community: string;
  /** "unix:/tmp/…/agentx.sock" */
  agentxUnix: string;
  /** "tcp:127.0.0.1:N" */
  agentxTcp: string;
  log(): string;
  stop(): Promise<void>;
  /** stops and starts again with the same config and ports */
  restart(): Promise<void>;
  /** stops the process only (the dir, config and ports stay for `up`) */
  down(): Promise<void>;
  up(): Promise<void>;
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

export interface SnmpdOptions {
  /** extra snmpd.conf lines */
  conf?: string[];
  env?: Record<string, string>;
}

export async function startSnmpd(opts: SnmpdOptions = {}): Promise<Snmpd> {
  const dir = mkdtempSync(join(tmpdir(), 'vmtrace-snmpd-'));
  chmodSync(dir, 0o755);
  const port = await freeUdpPort();
  const axPort = await freeTcpPort();
  const community = `c${Math.random().toString(36).slice(2, 10)}`;
  const sock = join(dir, 'agentx.sock');
  const conf = join(dir, 'snmpd.conf');
  writeFileSync(
    conf,
    [
      `agentAddress udp:127.0.0.1:${port}`,
      'master agentx',
      `agentXSocket tcp:127.0.0.1:${axPort},unix:${sock}`,
      'agentXPerms 0660 0770',
      'agentXTimeout 5',
      'agentXRetries 1',
      `rocommunity ${community} 127.0.0.1`,
      'sysName vmtrace-test',
      ...(opts.conf ?? []),
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;
  let output = '';

  const up = async (): Promise<void> => {
    proc = spawn('snmpd', ['-f', '-Lo', '-C', '-c', conf, '-p', join(dir, 'snmpd.pid')], {
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist'), MIBS: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`snmpd exited ${proc.exitCode}: ${output}`);
      const r = spawnSync('snmpget', ['-v2c', '-c', community, '-m', '', '-t', '0.3', '-r', '0', '-On', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0']);
      if (r.status === 0 && /Timeticks/.test(String(r.stdout))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`snmpd did not answer: ${output}`);
  };

  const down = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGTERM');
    });
  };

  await up();
  return {
    dir,
    port,
    community,
    agentxUnix: `unix:${sock}`,
    agentxTcp: `tcp:127.0.0.1:${axPort}`,
    log: () => output,
    stop: async () => {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await down();
      await up();
    },
    down,
    up,
  };
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a net-snmp command-line tool without blocking the event loop (the agent under test may
 * live in this very process).
 */
export function netSnmp(tool: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(tool, ['-m', '', ...args], { env: { ...process.env, MIBS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
