// The SNMP reader's transport against a real snmpd: GETBULK column walks equal net-snmp's own
// snmpbulkwalk, v3 authPriv works and wrong keys are refused, and silence is SNMP_UNREACHABLE.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VmtraceError } from '../../shared/errors.js';
import { SnmpAuthError, SnmpClient } from '../../shared/snmp/client.js';
import { resolveCredentials, type SnmpCredentials } from '../../shared/snmp/credentials.js';
import { parseAgentTarget } from '../../shared/snmp/target.js';
import { text } from '../../shared/snmp/values.js';
import { freeUdpPort } from '../helpers/show-net.js';
import { run, startSnmpd, WG_ENTRY, type SnmpdPeer } from '../helpers/show-snmpd.js';

const ROWS = Array.from({ length: 321 }, (_, i) => ({
  name: `wg${String(i).padStart(4, '0')}`,
  chair1: `chair-a-${i}`,
  chair2: `chair-b-${i}`,
}));

let peer: SnmpdPeer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'show-client-'));
  peer = await startSnmpd({ rows: ROWS });
});

afterAll(async () => {
  await peer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function client(creds: SnmpCredentials, opts: ConstructorParameters<typeof SnmpClient>[2] = {}): SnmpClient {
  return new SnmpClient(parseAgentTarget(`127.0.0.1:${peer.port}`), creds, opts);
}

function secret(name: string, value: string): string {
  const path = join(dir, name);
  writeFileSync(path, value + '\n');
  chmodSync(path, 0o600);
  return path;
}

/** The WG table's row index for a name: length-prefixed octets. */
function wgIndex(name: string): string {
  return [name.length, ...Buffer.from(name)].join('.');
}

describe('SnmpClient against snmpd', () => {
  it('walks two columns with GETBULK and gets what snmpbulkwalk gets', async () => {
    const c = client({ version: '2c', community: peer.community });
    try {
      const rows = await c.walkColumns(WG_ENTRY, [2, 3]);
      expect(rows.size).toBe(ROWS.length);
      for (const r of ROWS) {
        const row = rows.get(wgIndex(r.name));
        expect(row && text(row.get(2)!)).toBe(r.chair1);
        expect(row && text(row.get(3)!)).toBe(r.chair2);
      }
      const walk = await run('snmpbulkwalk', ['-m', '', '-On', '-Oq', '-Cr50', '-v2c', '-c', peer.community, `127.0.0.1:${peer.port}`, WG_ENTRY]);
      expect(walk.code).toBe(0);
      const theirs = walk.stdout.trim().split('\n');
      expect(theirs).toHaveLength(ROWS.length * 2);
      const ours = [...rows].flatMap(([index, cells]) => [...cells].map(([col, vb]) => `.${WG_ENTRY}.${col}.${index} "${text(vb)}"`));
      expect(ours.sort()).toEqual([...theirs].sort());
    } finally {
      c.close();
    }
  });

  it('gives the same rows when only a few varbinds fit per request', async () => {
    const c = client({ version: '2c', community: peer.community }, { maxVarbinds: 3 });
    try {
      const rows = await c.walkColumns(WG_ENTRY, [3, 2]);
      expect([...rows.keys()]).toEqual(ROWS.map((r) => wgIndex(r.name)));
      expect(text(rows.get(wgIndex('wg0320'))!.get(2)!)).toBe('chair-a-320');
    } finally {
      c.close();
    }
  });

  it('calls a walk off past maxCells instead of reading forever', async () => {
    const c = client({ version: '2c', community: peer.community }, { maxCells: 100 });
    try {
      await expect(c.walkColumns(WG_ENTRY, [2, 3])).rejects.toMatchObject({
        code: 'SNMP_ERROR',
        message: `agent 127.0.0.1:${peer.port} sent more than 100 cells for ${WG_ENTRY}: walk called off`,
      });
    } finally {
      c.close();
    }
  });

  it('walks an empty column to no rows and reads scalars, a missing one as null', async () => {
    const c = client({ version: '2c', community: peer.community });
    try {
      expect((await c.walkColumns(WG_ENTRY, [9])).size).toBe(0);
      const [name, missing] = await c.get(['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.5.7']);
      expect(text(name!)).toBe('show-snmpd');
      expect(missing).toBeNull();
    } finally {
      c.close();
    }
  });

  it('reads with SNMPv3 authPriv (SHA-256, AES) from key files', async () => {
    const creds = resolveCredentials({
      v3: { user: peer.v3.user, auth: 'sha256', authKeyFile: secret('auth', peer.v3.authKey), priv: 'aes128', privKeyFile: secret('priv', peer.v3.privKey) },
    });
    const c = client(creds);
    try {
      const rows = await c.walkColumns(WG_ENTRY, [2]);
      expect(rows.size).toBe(ROWS.length);
      expect(text((await c.get(['1.3.6.1.2.1.1.5.0']))[0]!)).toBe('show-snmpd');
    } finally {
      c.close();
    }
  });

  it.each<[string, { user?: string; authKey?: string }]>([
    ['auth key', { authKey: 'wrong-auth-key' }],
    ['user', { user: 'nobody' }],
  ])('refuses a wrong v3 %s with SnmpAuthError', async (_what, change) => {
    const c = client({
      version: '3',
      user: change.user ?? peer.v3.user,
      auth: 'sha256',
      authKey: change.authKey ?? peer.v3.authKey,
      priv: 'aes128',
      privKey: peer.v3.privKey,
    }, { timeoutMs: 800, retries: 0 });
    try {
      const err = await c.get(['1.3.6.1.2.1.1.5.0']).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SnmpAuthError);
      expect((err as Error).message).toMatch(/SNMPv3 credentials/);
    } finally {
      c.close();
    }
  });

  it('a wrong privacy key never yields data', async () => {
    const c = client({ version: '3', user: peer.v3.user, auth: 'sha256', authKey: peer.v3.authKey, priv: 'aes128', privKey: 'wrong-priv-key' }, { timeoutMs: 800, retries: 0 });
    try {
      const err = await c.get(['1.3.6.1.2.1.1.5.0']).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(VmtraceError);
      expect((err as VmtraceError).code).toMatch(/^SNMP_(ERROR|UNREACHABLE)$/);
    } finally {
      c.close();
    }
  });

  it('a wrong community is silence: SNMP_UNREACHABLE, transient', async () => {
    const c = client({ version: '2c', community: 'not-the-community' }, { timeoutMs: 300, retries: 1 });
    try {
      const err = (await c.walkColumns(WG_ENTRY, [2]).then(() => null, (e: unknown) => e)) as VmtraceError;
      expect(err).toBeInstanceOf(VmtraceError);
      expect(err.code).toBe('SNMP_UNREACHABLE');
      expect(err.transient).toBe(true);
      expect(err.message).toBe(`no answer from agent 127.0.0.1:${peer.port} within 0.6 s (agent down, wrong address, or wrong community)`);
    } finally {
      c.close();
    }
  });

  it('nothing listening: SNMP_UNREACHABLE', async () => {
    const port = await freeUdpPort();
    const c = new SnmpClient(parseAgentTarget(`127.0.0.1:${port}`), { version: '2c', community: 'x' }, { timeoutMs: 200, retries: 0 });
    try {
      await expect(c.get(['1.3.6.1.2.1.1.5.0'])).rejects.toMatchObject({ code: 'SNMP_UNREACHABLE' });
    } finally {
      c.close();
    }
  });
});

describe('AgentReader against an agent that is not vmtrace', () => {
  it('summary is NOT_FOUND (exit 1) naming the missing object; tables read empty', async () => {
    const { AgentReader } = await import('../../shared/snmp/reader.js');
    const reader = new AgentReader(parseAgentTarget(`127.0.0.1:${peer.port}`), { version: '2c', community: peer.community });
    try {
      const err = (await reader.summary().then(() => null, (e: unknown) => e)) as VmtraceError;
      expect(err).toBeInstanceOf(VmtraceError);
      expect(err.code).toBe('NOT_FOUND');
      expect(err.message).toBe(`agent 127.0.0.1:${peer.port} does not serve vmtraceSwitchName.0: is it a vmtrace agent, and does its view include VMTRACE-MIB?`);
      expect(await reader.ports()).toEqual([]);
    } finally {
      reader.close();
    }
  });
});
