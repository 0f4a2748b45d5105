// Notifications received by net-snmp's snmptrapd: each of the five VMTRACE-MIB notifications
// as a v2c trap, a v2c inform (acknowledged) and a v3 authPriv trap; the rate limit drops
// and counts what exceeds it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/log.js';
import { startSnmp, type NotificationKind, type SnmpHandle } from '../../agent/snmp/index.js';
import { OIDS } from '../../shared/mib/oids.js';
import { freeUdpPort } from '../helpers/snmpd.js';
import { sampleData, viewOf } from '../helpers/snmp-view.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ENGINE = '80001f8805' + 'aabbccddeeff001122334455';
const user = { name: 'trapper', auth: 'sha256' as const, authKey: 'trap-auth-secret', priv: 'aes128' as const, privKey: 'trap-priv-secret' };
const community = `tc${process.pid}`;

let dir: string;
let trapd: ChildProcess;
let port: number;
let output = '';

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!pred() && Date.now() - t0 < ms) await sleep(50);
  return pred();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmtrace-trapd-'));
  port = await freeUdpPort();
  writeFileSync(
    join(dir, 'snmptrapd.conf'),
    [
      `authCommunity log ${community}`,
      `createUser -e 0x${ENGINE} ${user.name} SHA-256 ${user.authKey} AES ${user.privKey}`,
      // informs: snmptrapd is the authoritative engine, the same user under its own engine id
      `createUser ${user.name} SHA-256 ${user.authKey} AES ${user.privKey}`,
      `authUser log ${user.name} priv`,
      '',
    ].join('\n'),
  );
  trapd = spawn('snmptrapd', ['-f', '-Lo', '-C', '-c', join(dir, 'snmptrapd.conf'), '-On', '-m', '', '-F', 'REC %P\n%V\t%v\nEND\n', `udp:127.0.0.1:${port}`], {
    env: { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: join(dir, 'persist') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trapd.stdout!.on('data', (d) => (output += d));
  trapd.stderr!.on('data', (d) => (output += d));
  expect(await waitFor(() => /NET-SNMP version/.test(output), 10_000)).toBe(true);
});

afterAll(async () => {
  if (trapd && trapd.exitCode === null) {
    const exited = new Promise((r) => trapd.once('exit', r));
    trapd.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The notifications snmptrapd printed: snmpTrapOID value → whole record text. */
function received(oid: string): string[] {
  const records = [...output.matchAll(/REC ([^\n]*)\n([\s\S]*?)\nEND\n/g)].map((m) => `${m[1]}\n${m[2]}\t`);
  return records.filter((rec) => rec.includes(`.1.3.6.1.6.3.1.1.4.1.0 = OID: .${oid}\t`));
}

describe('notifications', () => {
  let snmp: SnmpHandle;

  afterAll(async () => {
    await snmp?.stop();
  });

  it('snmptrapd receives every notification as v2c trap, v2c inform, v3 authPriv trap and v3 authPriv inform', async () => {
    snmp = await startSnmp(
      {
        communities: [],
        users: [],
        engineId: ENGINE,
        traps: [
          { target: `udp:127.0.0.1:${port}`, community },
          { target: `udp:127.0.0.1:${port}`, community, inform: true },
          { target: `udp:127.0.0.1:${port}`, user },
          { target: `udp:127.0.0.1:${port}`, user, inform: true },
        ],
        trapRate: { burst: 100, perSecond: 10 },
        lldpMib: false,
      },
      viewOf(sampleData()),
      () => [],
      silentLogger(),
    );
    const cases: Array<[NotificationKind, Parameters<SnmpHandle['notify']>[1], keyof typeof OIDS, RegExp[]]> = [
      ['vlanAdded', { ifIndex: 2, port: 'swp1', vlan: 110, reason: 'web-01 powered on' }, 'vmtraceVlanAdded', [/= INTEGER: 2/, /"swp1"/, /= INTEGER: 110/, /"web-01 powered on"/]],
      ['vlanRemoved', { ifIndex: 3, port: 'swp2', vlan: 20, reason: 'hold-down expired' }, 'vmtraceVlanRemoved', [/"swp2"/, /= INTEGER: 20/]],
      ['vcenterStateChange', { vcenter: 'vc2', state: 'disconnected', reason: 'ECONNREFUSED' }, 'vmtraceVcenterStateChange', [/"vc2"/, /= INTEGER: 4/, /"ECONNREFUSED"/]],
      ['guardTripped', { count: 42, reason: 'plan removes 42 > 20' }, 'vmtraceGuardTripped', [/Gauge32: 42/, /"plan removes 42 > 20"/]],
      ['limitReached', { ifIndex: 2, port: 'swp1', vlan: 4000, reason: 'outside allowedVlans' }, 'vmtraceLimitReached', [/= INTEGER: 4000/, /"outside allowedVlans"/]],
    ];
    for (const [kind, fields] of cases) snmp.notify(kind, fields);
    for (const [, , name, patterns] of cases) {
      expect(await waitFor(() => received(OIDS[name]).length >= 4, 10_000), `${name}: ${output}`).toBe(true);
      for (const rec of received(OIDS[name])) for (const p of patterns) expect(rec).toMatch(p);
    }
    // informs were acknowledged, so every send counts
    expect(await waitFor(() => snmp.counters().notificationsSent === 20, 5000)).toBe(true);
    expect(snmp.counters().notificationErrors).toBe(0);
    // the four deliveries arrive as a v2c trap, a v2c inform, a v3 trap and a v3 inform
    const recs = received(OIDS.vmtraceGuardTripped).join('\n');
    expect(recs).toMatch(/TRAP2, SNMP v2c, community/);
    expect(recs).toMatch(/INFORM, SNMP v2c, community/);
    expect(recs).toMatch(/TRAP2, SNMP v3, user trapper/);
    expect(recs).toMatch(/INFORM, SNMP v3, user trapper/);
  });

  it('a wrong v3 key is not accepted by snmptrapd (trap dropped, inform counted as an error)', async () => {
    const wrong = { ...user, authKey: 'wrong-auth-secret' };
    const bad = await startSnmp(
      { communities: [], users: [], engineId: ENGINE, traps: [{ target: `udp:127.0.0.1:${port}`, user: wrong }, { target: `udp:127.0.0.1:${port}`, user: wrong, inform: true }], lldpMib: false },
      viewOf(sampleData()),
      () => [],
      silentLogger(),
    );
    try {
      const before = received(OIDS.vmtraceLimitReached).length;
      bad.notify('limitReached', { port: 'swpX', vlan: 7 });
      expect(await waitFor(() => bad.counters().notificationErrors === 1, 8000)).toBe(true);
      expect(received(OIDS.vmtraceLimitReached).length).toBe(before);
      expect(bad.counters().notificationsSent).toBe(1); // the trap left; nobody accepted it
    } finally {
      await bad.stop();
    }
  });

  it('the rate limit sends the burst and drops (and counts) the rest', async () => {
    const limited = await startSnmp(
      { communities: [], users: [], traps: [{ target: `udp:127.0.0.1:${port}`, community }], trapRate: { burst: 3, perSecond: 0.01 }, lldpMib: false },
      viewOf(sampleData()),
      () => [],
      silentLogger(),
    );
    try {
      const before = received(OIDS.vmtraceVlanAdded).length;
      for (let i = 0; i < 10; i++) limited.notify('vlanAdded', { port: 'swp9', vlan: 900 + i });
      expect(limited.counters().notificationsSent).toBe(3);
      expect(limited.counters().notificationsDropped).toBe(7);
      await waitFor(() => received(OIDS.vmtraceVlanAdded).length >= before + 3, 5000);
      await sleep(300);
      expect(received(OIDS.vmtraceVlanAdded).length).toBe(before + 3);
    } finally {
      await limited.stop();
    }
  });
});
