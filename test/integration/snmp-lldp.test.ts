// LLDP-MIB end to end through a real snmpd: the neighbour in lldpd-esxi.pcap, decoded by our
// LLDP source and turned into rows by agent/core/lldp-rows.ts, served by our AgentX subagent,
// walked with snmpwalk: the same lldpRemTable and lldpRemManAddrTable as lldpd's own walk
// (../shared/fixtures/snmp), apart from the time mark (snmpd's uptime differs run to run).

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lldpRemRows } from '../../agent/core/lldp-rows.js';
import { silentLogger } from '../../agent/log.js';
import { startSnmp, type SnmpHandle } from '../../agent/snmp/index.js';
import { decodeCaptureFile } from '../../agent/sources/lldp/capture-file.js';
import { NeighborTable } from '../../agent/sources/lldp/neighbor-table.js';
import { lldpNeighbor } from '../../agent/sources/lldp/to-neighbor.js';
import type { Neighbor } from '../../shared/model.js';
import { netSnmp, startSnmpd, type Snmpd } from '../helpers/snmpd.js';
import { sampleData, viewOf } from '../helpers/snmp-view.js';
import { parseWalk, type Instance } from '../helpers/snmp-walk.js';

const FIX = '../shared/fixtures';
const REMOTE = '1.0.8802.1.1.2.1.4';

/** Index of lldpRem*Table instances: entry.column.timeMark.port.remIndex… → timeMark replaced by T. */
function withoutTimeMark(m: Map<string, Instance>): Map<string, Instance> {
  return new Map([...m].map(([oid, v]) => [oid.replace(/^(1\.0\.8802\.1\.1\.2\.1\.4\.[12]\.1\.\d+)\.\d+\./, '$1.T.'), v]));
}

let snmpd: Snmpd;
let snmp: SnmpHandle;
let neighbor: Neighbor;

beforeAll(async () => {
  const d = decodeCaptureFile(readFileSync(`${FIX}/lldp/lldpd-esxi.pcap`));
  if (!d.ok) throw new Error(d.error);
  const fr = d.value.frames[0]!;
  if (fr.kind !== 'lldp') throw new Error(`first frame is ${fr.kind}`);
  const seen = new NeighborTable().observe(lldpNeighbor('swp1', fr.frame), Date.now());
  if (seen.kind !== 'new') throw new Error(seen.kind);
  neighbor = seen.neighbor;
  snmpd = await startSnmpd();
  const agentStart = neighbor.lastChange - 5000; // learnt 5 s after "start": time mark 500
  snmp = await startSnmp(
    { agentx: snmpd.agentxUnix, communities: [], users: [], traps: [], lldpMib: true },
    viewOf(sampleData()),
    () => lldpRemRows([neighbor], { ifIndex: (i) => (i === 'swp1' ? 2 : null), agentStart }),
    silentLogger(),
  );
  await snmp.agentxReady();
});

afterAll(async () => {
  await snmp?.stop();
  await snmpd?.stop();
});

describe('LLDP-MIB through snmpd', () => {
  it("snmpwalk of lldpRemoteSystemsData equals lldpd's walk for the same neighbour, time mark aside", async () => {
    const lldpd = new Map([...parseWalk(readFileSync(`${FIX}/snmp/lldpd-lldpMIB-full.walk.txt`, 'utf8'))].filter(([oid]) => oid.startsWith(`${REMOTE}.`)));
    expect(lldpd.size).toBeGreaterThan(9);
    const r = await netSnmp('snmpwalk', ['-v2c', '-c', snmpd.community, '-On', '-Ox', `127.0.0.1:${snmpd.port}`, REMOTE]);
    expect(r.stderr).toBe('');
    const ours = parseWalk(r.stdout);
    expect([...withoutTimeMark(ours).keys()]).toEqual([...withoutTimeMark(lldpd).keys()]);
    expect(Object.fromEntries(withoutTimeMark(ours))).toEqual(Object.fromEntries(withoutTimeMark(lldpd)));
    // the time mark is the neighbour's age relative to the start we were given, × 100
    expect([...ours.keys()][0]).toMatch(/^1\.0\.8802\.1\.1\.2\.1\.4\.1\.1\.4\.500\.2\.1$/);
  });

  it('bulk walk and get agree, and VMTRACE-MIB is served next to it', async () => {
    const bulk = await netSnmp('snmpbulkwalk', ['-v2c', '-c', snmpd.community, '-Cr20', '-On', '-Ox', `127.0.0.1:${snmpd.port}`, REMOTE]);
    const walk = await netSnmp('snmpwalk', ['-v2c', '-c', snmpd.community, '-On', '-Ox', `127.0.0.1:${snmpd.port}`, REMOTE]);
    expect(bulk.stdout).toBe(walk.stdout);
    const get = await netSnmp('snmpget', ['-v2c', '-c', snmpd.community, '-On', `127.0.0.1:${snmpd.port}`, '1.0.8802.1.1.2.1.4.1.1.9.500.2.1', '1.3.6.1.4.1.8072.9999.9999.7.1.1.1.0']);
    expect(get.stdout).toContain('STRING: "esx-01.lab"');
    expect(get.stdout).toContain('STRING: "leaf1"');
  });
});
