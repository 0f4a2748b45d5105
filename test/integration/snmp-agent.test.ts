// The standalone agent (UDP) read by net-snmp's own tools: every table walks to exactly what
// the view holds (v2c and v3 authPriv, walk and bulkwalk, get and getnext), LLDP-MIB rows pass
// through byte for byte, SET is refused, and bad credentials are refused and counted.

import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/log.js';
import { startSnmp, type MibRow, type SnmpHandle, type UsmUserConfig } from '../../agent/snmp/index.js';
import { OIDS } from '../../shared/mib/oids.js';
import { freeUdpPort, netSnmp } from '../helpers/snmpd.js';
import { sampleData, viewOf } from '../helpers/snmp-view.js';
import { expectedVmtrace, parseWalk, sortedOids, type Instance } from '../helpers/snmp-walk.js';

const FIXTURE = '../shared/fixtures/snmp/lldpd-lldpMIB-full.walk.txt';
const data = sampleData(25);
const community = `sa-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const sha256 = { name: 'nms', auth: 'sha256' as const, authKey: 'auth-secret-256', priv: 'aes128' as const, privKey: 'priv-secret-256' };
const sha1 = { name: 'legacy', auth: 'sha1' as const, authKey: 'auth-secret-sha1', priv: 'aes128' as const, privKey: 'priv-secret-sha1' };

/** LLDP-MIB rows as lldpd serves them (the fixture walk), as the LLDP module hands them in. */
function fixtureRows(): MibRow[] {
  const rows: MibRow[] = [];
  for (const [oid, inst] of parseWalk(readFileSync(FIXTURE, 'utf8'))) {
    const o = oid.split('.').map(Number);
    if (o[0] !== 1 || o[1] !== 0) continue; // the file ends with snmpd's sysUpTime
    switch (inst.type) {
      case 'STRING':
        rows.push({ oid: o, type: 'OctetString', value: Buffer.from(inst.value, 'hex') });
        break;
      case 'OID':
        rows.push({ oid: o, type: 'ObjectIdentifier', value: inst.value.replace(/^\./, '') });
        break;
      case 'Timeticks':
        rows.push({ oid: o, type: 'TimeTicks', value: Number(inst.value) });
        break;
      default:
        rows.push({ oid: o, type: inst.type === 'INTEGER' ? 'Integer' : inst.type, value: Number(inst.value) });
    }
  }
  return rows;
}

let snmp: SnmpHandle;
let target: string;
const v2 = () => ['-v2c', '-c', community, '-On', '-Ox', '-t', '2', '-r', '1'];
const v3 = (u: UsmUserConfig, auth = u.authKey, priv = u.privKey) => [
  '-v3', '-l', 'authPriv', '-u', u.name, '-a', u.auth === 'sha256' ? 'SHA-256' : 'SHA', '-A', auth, '-x', 'AES', '-X', priv,
  '-On', '-Ox', '-t', '1', '-r', '0',
];

beforeAll(async () => {
  const port = await freeUdpPort();
  snmp = await startSnmp(
    {
      listen: `udp:127.0.0.1:${port}`,
      communities: [
        { community, from: '127.0.0.0/8' },
        { community: `${community}-remote`, from: '192.0.2.0/24' },
      ],
      users: [sha256, sha1],
      traps: [],
      lldpMib: true,
    },
    viewOf(data),
    fixtureRows,
    silentLogger(),
  );
  target = `127.0.0.1:${port}`;
});

afterAll(async () => {
  await snmp?.stop();
});

function expectSameWalk(got: Map<string, Instance>, want: Map<string, Instance>): void {
  expect([...got.keys()]).toEqual(sortedOids(want));
  for (const [oid, inst] of want) expect({ oid, ...got.get(oid) }).toEqual({ oid, ...inst });
}

describe('standalone SNMP agent', () => {
  it('snmpwalk (v2c) of VMTRACE-MIB returns exactly what the view holds', async () => {
    const r = await netSnmp('snmpwalk', [...v2(), target, OIDS.vmtraceMIB]);
    expect(r.stderr).toBe('');
    expectSameWalk(parseWalk(r.stdout), expectedVmtrace(data));
  });

  it('snmpbulkwalk -Cr50 (v2c) and every table on its own', async () => {
    const want = expectedVmtrace(data);
    const r = await netSnmp('snmpbulkwalk', [...v2(), '-Cr50', target, OIDS.vmtraceMIB]);
    expectSameWalk(parseWalk(r.stdout), want);
    for (const table of ['vmtraceVcenterTable', 'vmtracePortTable', 'vmtraceVmTable', 'vmtraceVnicTable', 'vmtraceVtepTable', 'vmtraceEventTable', 'vmtraceNeighborTable'] as const) {
      const t = await netSnmp('snmpbulkwalk', [...v2(), '-Cr7', target, OIDS[table]]);
      const sub = new Map([...want].filter(([oid]) => oid.startsWith(`${OIDS[table]}.`)));
      expect(sub.size).toBeGreaterThan(0);
      expectSameWalk(parseWalk(t.stdout), sub);
    }
  });

  it('v3 authPriv with SHA-256 + AES-128 and with SHA-1 + AES-128 walks the same', async () => {
    const want = expectedVmtrace(data);
    const a = await netSnmp('snmpbulkwalk', [...v3(sha256), '-Cr25', target, OIDS.vmtraceMIB]);
    expect(a.stderr).toBe('');
    expectSameWalk(parseWalk(a.stdout), want);
    const b = await netSnmp('snmpwalk', [...v3(sha1), target, OIDS.vmtraceVnicTable]);
    expectSameWalk(parseWalk(b.stdout), new Map([...want].filter(([oid]) => oid.startsWith(`${OIDS.vmtraceVnicTable}.`))));
  });

  it('snmpget and snmpgetnext of each table and scalar', async () => {
    const want = expectedVmtrace(data);
    const g = await netSnmp('snmpget', [...v2(), target, `${OIDS.vmtraceSwitchName}.0`, `${OIDS.vmtracePortState}.2`, `${OIDS.vmtraceVnicMac}.3`, `${OIDS.vmtraceVmName}.99`, `${OIDS.vmtraceMIB}.42.0`]);
    const got = parseWalk(g.stdout);
    expect(got.get(`${OIDS.vmtraceSwitchName}.0`)).toEqual(want.get(`${OIDS.vmtraceSwitchName}.0`));
    expect(got.get(`${OIDS.vmtracePortState}.2`)).toEqual({ type: 'INTEGER', value: '3' });
    expect(got.get(`${OIDS.vmtraceVnicMac}.3`)).toEqual(want.get(`${OIDS.vmtraceVnicMac}.3`));
    expect(g.stdout).toContain(`.${OIDS.vmtraceVmName}.99 = No Such Instance`);
    expect(g.stdout).toContain(`.${OIDS.vmtraceMIB}.42.0 = No Such Object`);
    const all = sortedOids(want);
    for (const table of ['vmtraceVcenterEntry', 'vmtracePortEntry', 'vmtraceVmEntry', 'vmtraceVnicEntry', 'vmtraceVtepEntry', 'vmtraceEventEntry', 'vmtraceNeighborEntry'] as const) {
      const n = await netSnmp('snmpgetnext', [...v2(), target, OIDS[table]]);
      const first = all.find((o) => o.startsWith(`${OIDS[table]}.`))!;
      expect(n.stdout.startsWith(`.${first} = `)).toBe(true);
      // the next instance after the first
      const n2 = await netSnmp('snmpgetnext', [...v2(), target, first]);
      expect(n2.stdout.startsWith(`.${all[all.indexOf(first) + 1]} = `)).toBe(true);
    }
    const after = await netSnmp('snmpgetnext', [...v2(), target, '1.3.6.1.4.1.8072.9999.9999.8']);
    expect(after.stdout.startsWith('.1.3.6.1.6.3.15.1.1.1.0 = Counter32:')).toBe(true); // usmStats come last
    const end = await netSnmp('snmpgetnext', [...v2(), target, '1.3.6.1.6.3.15.1.1.6.0']);
    expect(end.stdout).toContain('No more variables left in this MIB View');
  });

  it('the standalone agent identifies itself (SNMPv2-MIB system group)', async () => {
    const r = await netSnmp('snmpget', ['-v2c', '-c', community, '-On', '-Ot', target, '1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0']);
    expect(r.stdout).toContain('.1.3.6.1.2.1.1.1.0 = STRING: "vmtrace 0.1.0 agent on leaf1"');
    expect(r.stdout).toContain(`.1.3.6.1.2.1.1.2.0 = OID: .${OIDS.vmtraceMIB}`);
    expect(r.stdout).toContain('.1.3.6.1.2.1.1.5.0 = STRING: "leaf1"');
    const ticks = Number(/1\.3\.0 = (?:Timeticks: )?\(?(\d+)/.exec(r.stdout)?.[1]);
    expect(Math.abs(ticks - (Date.now() - data.summary.startedAt) / 10)).toBeLessThan(200);
    const walk = await netSnmp('snmpwalk', ['-v2c', '-c', community, '-On', target, '1.3.6.1.2.1.1']);
    expect(walk.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('LLDP-MIB rows are served byte for byte as lldpd serves them', async () => {
    const want = new Map([...parseWalk(readFileSync(FIXTURE, 'utf8'))].filter(([oid]) => oid.startsWith('1.0.8802.')));
    const r = await netSnmp('snmpwalk', [...v2(), target, '1.0.8802.1.1.2']);
    expectSameWalk(parseWalk(r.stdout), want);
  });

  it('SET is refused: notWritable for an object we serve, noAccess otherwise', async () => {
    const before = snmp.counters().setRequestsRefused;
    const a = await netSnmp('snmpset', [...v2(), target, `${OIDS.vmtraceSwitchName}.0`, 's', 'evil']);
    expect(a.stderr).toMatch(/notWritable/);
    const b = await netSnmp('snmpset', [...v3(sha256), target, '1.3.6.1.4.1.8072.9999.9999.7.1.1.77.0', 'i', '1']);
    expect(b.stderr).toMatch(/noAccess/);
    expect(snmp.counters().setRequestsRefused).toBe(before + 2);
    const g = await netSnmp('snmpget', [...v2(), target, `${OIDS.vmtraceSwitchName}.0`]);
    expect(parseWalk(g.stdout).get(`${OIDS.vmtraceSwitchName}.0`)?.value).toBe(Buffer.from('leaf1').toString('hex'));
  });

  it('wrong community, wrong source, wrong keys and unknown users fail and are counted', async () => {
    const c0 = snmp.counters();
    const badCommunity = await netSnmp('snmpget', ['-v2c', '-c', 'public', '-t', '0.5', '-r', '0', target, `${OIDS.vmtraceSwitchName}.0`]);
    expect(badCommunity.stderr).toMatch(/Timeout/);
    const wrongSource = await netSnmp('snmpget', ['-v2c', '-c', `${community}-remote`, '-t', '0.5', '-r', '0', target, `${OIDS.vmtraceSwitchName}.0`]);
    expect(wrongSource.stderr).toMatch(/Timeout/);
    const badAuth = await netSnmp('snmpget', [...v3(sha256, 'not-the-auth-key'), target, `${OIDS.vmtraceSwitchName}.0`]);
    expect(badAuth.stderr).toMatch(/Authentication failure/);
    const badPriv = await netSnmp('snmpget', [...v3(sha256, sha256.authKey, 'not-the-priv-key'), target, `${OIDS.vmtraceSwitchName}.0`]);
    expect(badPriv.stderr).toMatch(/Decryption error/);
    const unknown = await netSnmp('snmpget', [...v3({ ...sha256, name: 'mallory' }), target, `${OIDS.vmtraceSwitchName}.0`]);
    expect(unknown.stderr).toMatch(/Unknown user name/);
    const noPriv = await netSnmp('snmpget', ['-v3', '-l', 'authNoPriv', '-u', sha256.name, '-a', 'SHA-256', '-A', sha256.authKey, '-t', '1', '-r', '0', target, `${OIDS.vmtraceSwitchName}.0`]);
    expect(noPriv.stderr).toMatch(/Unsupported security level/);
    const c = snmp.counters();
    expect(c.inBadCommunityNames).toBe(c0.inBadCommunityNames + 1);
    expect(c.inBadCommunityUses).toBe(c0.inBadCommunityUses + 1);
    expect(c.usmWrongDigests).toBe(c0.usmWrongDigests + 1);
    expect(c.usmDecryptionErrors).toBe(c0.usmDecryptionErrors + 1);
    expect(c.usmUnknownUserNames).toBeGreaterThan(c0.usmUnknownUserNames);
    expect(c.usmUnsupportedSecLevels).toBeGreaterThan(c0.usmUnsupportedSecLevels);
    expect(c.badPackets).toBeGreaterThanOrEqual(c0.badPackets + 6);
    // and in the standard places: SNMPv2-MIB snmp group, usmStats
    const std = await netSnmp('snmpget', [...v2(), target, '1.3.6.1.2.1.11.4.0', '1.3.6.1.2.1.11.5.0', '1.3.6.1.6.3.15.1.1.5.0', '1.3.6.1.6.3.15.1.1.6.0']);
    const stats = parseWalk(std.stdout);
    expect(stats.get('1.3.6.1.2.1.11.4.0')).toEqual({ type: 'Counter32', value: String(c.inBadCommunityNames) });
    expect(stats.get('1.3.6.1.2.1.11.5.0')).toEqual({ type: 'Counter32', value: String(c.inBadCommunityUses) });
    expect(stats.get('1.3.6.1.6.3.15.1.1.5.0')).toEqual({ type: 'Counter32', value: String(c.usmWrongDigests) });
    expect(stats.get('1.3.6.1.6.3.15.1.1.6.0')).toEqual({ type: 'Counter32', value: String(c.usmDecryptionErrors) });
    // the count is served in VMTRACE-MIB once the cached tree is rebuilt
    snmp.invalidate();
    const g = await netSnmp('snmpget', [...v2(), target, `${OIDS.vmtraceSnmpBadPackets}.0`]);
    expect(Number(parseWalk(g.stdout).get(`${OIDS.vmtraceSnmpBadPackets}.0`)?.value)).toBe(snmp.counters().badPackets);
  });

  it('never logs a secret, even at debug level and under attack', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const p = await freeUdpPort();
    const secret = { community: `never-log-${process.pid}`, auth: 'auth-never-logged', priv: 'priv-never-logged' };
    const s = await startSnmp(
      { listen: `udp:127.0.0.1:${p}`, communities: [{ community: secret.community, from: '127.0.0.1' }], users: [{ name: 'u1', auth: 'sha256', authKey: secret.auth, priv: 'aes128', privKey: secret.priv }], traps: [{ target: 'udp:127.0.0.1:9', community: secret.community }], lldpMib: false },
      viewOf(data),
      () => [],
      logger,
    );
    try {
      await netSnmp('snmpget', ['-v2c', '-c', secret.community, '-t', '1', `127.0.0.1:${p}`, `${OIDS.vmtraceSwitchName}.0`]);
      await netSnmp('snmpget', ['-v2c', '-c', `${secret.community}x`, '-t', '0.3', '-r', '0', `127.0.0.1:${p}`, `${OIDS.vmtraceSwitchName}.0`]);
      await netSnmp('snmpget', ['-v3', '-l', 'authPriv', '-u', 'u1', '-a', 'SHA-256', '-A', secret.auth, '-x', 'AES', '-X', `${secret.priv}x`, '-t', '0.5', '-r', '0', `127.0.0.1:${p}`, `${OIDS.vmtraceSwitchName}.0`]);
      s.notify('vlanAdded', { port: 'swp1', vlan: 5 });
    } finally {
      await s.stop();
    }
    const text = lines.join('');
    expect(text).toContain('snmp: started');
    for (const v of Object.values(secret)) expect(text).not.toContain(v);
  });

  it('refuses the community "public", short v3 keys and a taken port at start', async () => {
    await expect(
      startSnmp({ listen: 'udp:127.0.0.1:0', communities: [{ community: 'public', from: '0.0.0.0/0' }], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger()),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(
      startSnmp({ listen: 'udp:127.0.0.1:0', communities: [], users: [{ ...sha256, privKey: 'short' }], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger()),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(
      startSnmp({ listen: target, communities: [{ community: 'another-one', from: '127.0.0.1' }], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger()),
    ).rejects.toMatchObject({ code: 'SNMP_ERROR' }); // the port is taken
  });
});
