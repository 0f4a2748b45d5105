// A real net-snmp snmpd on a free loopback UDP port, serving a known table
// (netSnmpIETFWGTable with N rows) to v2c and v3 authPriv: the independent peer the SNMP
// reader is tested against. Its own temp dir; stop() kills it and removes the dir.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, waitFor } from './show-net.js';

export interface SnmpdPeer {
  port: number;
  community: string;
  v3: { user: string; authKey: string; privKey: string };
  stop(): Promise<void>;
}

/** IETF WG table base: `.1.3.6.1.4.1.8072.2.2.1.1.{2,3}.<len>.<name bytes>` */
export const WG_ENTRY = '1.3.6.1.4.1.8072.2.2.1.1';

export async function startSnmpd(opts: {
  rows: { name: string; chair1: string; chair2: string }[];
  /** be an AgentX master on this unix socket path */
  agentxSocket?: string;
}): Promise<SnmpdPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'show-snmpd-'));
  const port = await freeUdpPort();
  const community = `c-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const v3 = { user: 'nms', authKey: 'auth-key-12345', privKey: 'priv-key-12345' };
  const conf = [
    `agentAddress udp:127.0.0.1:${port}`,
    `rocommunity ${community} 127.0.0.1`,
    `createUser ${v3.user} SHA-256 "${v3.authKey}" AES "${v3.privKey}"`,
    `rouser ${v3.user} priv`,
    'sysName show-snmpd',
    'table netSnmpIETFWGTable',
    ...opts.rows.map((r) => `add_row netSnmpIETFWGTable "${r.name}" "${r.chair1}" "${r.chair2}"`),
    ...(opts.agentxSocket ? ['master agentx', `agentXSocket ${opts.agentxSocket}`, 'agentXPerms 0660 0770'] : []),
  ];
  writeFileSync(join(dir, 'snmpd.conf'), conf.join('\n') + '\n');
  const child: ChildProcess = spawn(
    'snmpd',
    ['-f', '-Lf', join(dir, 'snmpd.log'), '-C', '-c', join(dir, 'snmpd.conf'), '-p', join(dir, 'snmpd.pid')],
    {
      env: {
        ...process.env,
        SNMP_PERSISTENT_DIR: join(dir, 'persist'),
        MIBDIRS: 'node_modules/net-snmp/lib/mibs:/usr/share/snmp/mibs',
        MIBS: 'NET-SNMP-EXAMPLES-MIB',
      },
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => {
      const r = await run('snmpget', ['-m', '', '-r0', '-t0.3', '-v2c', '-c', community, `127.0.0.1:${port}`, '1.3.6.1.2.1.1.5.0']);
      return r.code === 0;
    }, 15_000, 'snmpd to answer');
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, community, v3, stop };
}

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
