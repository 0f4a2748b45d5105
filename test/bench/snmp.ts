// bench:snmp — snmpbulkwalk -Cr50 throughput of a 10,000-row vmtraceVnicTable, standalone and
// through snmpd as AgentX master, next to snmpd serving a 10,000-row table of its own
// (netSnmpIETFWGTable via add_row) in the same run. Target: >= 0.5x snmpd's own figure.
// Prints `name value unit (target …)` lines; exits 1 on a miss.

import { silentLogger } from '../../agent/log.js';
import { startSnmp } from '../../agent/snmp/index.js';
import { OIDS } from '../../shared/mib/oids.js';
import { freeUdpPort, netSnmp, startSnmpd } from '../helpers/snmpd.js';
import { sampleData, viewOf } from '../helpers/snmp-view.js';

const ROWS = 10_000;
const RUNS = 3;
const REF_TABLE = '1.3.6.1.4.1.8072.2.2.1';

async function walkRate(args: string[], expected: number): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = await netSnmp('snmpbulkwalk', ['-v2c', '-Cr50', '-On', '-t', '5', ...args], 300_000);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const n = r.stdout.split('\n').filter((l) => l.startsWith('.')).length;
    if (n !== expected) throw new Error(`walk of ${args.at(-1)} returned ${n} varbinds, expected ${expected}: ${r.stderr}`);
    rates.push(n / s);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!; // median
}

async function main(): Promise<number> {
  const rows = Array.from({ length: ROWS }, (_, i) => `add_row netSnmpIETFWGTable "wg${String(i + 1).padStart(5, '0')}" "a" "b"`);
  const snmpd = await startSnmpd({
    conf: ['table netSnmpIETFWGTable', ...rows],
    env: { MIBDIRS: 'node_modules/net-snmp/lib/mibs:/usr/share/snmp/mibs', MIBS: 'NET-SNMP-EXAMPLES-MIB' },
  });
  const port = await freeUdpPort();
  const community = `bench${process.pid}`;
  const snmp = await startSnmp(
    { listen: `udp:127.0.0.1:${port}`, agentx: snmpd.agentxUnix, communities: [{ community, from: '127.0.0.1/32' }], users: [], traps: [], lldpMib: false, cacheMs: 5000 },
    viewOf(sampleData(ROWS)),
    () => [],
    silentLogger(),
  );
  try {
    await snmp.agentxReady();
    const vnicVarbinds = ROWS * 7;
    const ref = await walkRate(['-c', snmpd.community, `127.0.0.1:${snmpd.port}`, REF_TABLE], ROWS * 2);
    const standalone = await walkRate(['-c', community, `127.0.0.1:${port}`, OIDS.vmtraceVnicTable], vnicVarbinds);
    const agentx = await walkRate(['-c', snmpd.community, `127.0.0.1:${snmpd.port}`, OIDS.vmtraceVnicTable], vnicVarbinds);
    const floor = ref * 0.5;
    const lines: Array<[string, number, string, string, boolean]> = [
      ['snmp.snmpd_own_10k_table', ref, 'varbinds/s', 'reference: snmpd serving netSnmpIETFWGTable itself', true],
      ['snmp.standalone_vnic_10k', standalone, 'varbinds/s', `target >= ${Math.round(floor)} = 0.5x snmpd`, standalone >= floor],
      ['snmp.agentx_vnic_10k', agentx, 'varbinds/s', `target >= ${Math.round(floor)} = 0.5x snmpd`, agentx >= floor],
      ['snmp.agentx_vs_snmpd', agentx / ref, 'ratio', 'target >= 0.5', agentx / ref >= 0.5],
    ];
    let ok = true;
    for (const [name, value, unit, target, pass] of lines) {
      console.log(`${name} ${unit === 'ratio' ? value.toFixed(2) : Math.round(value)} ${unit} (${target})${pass ? '' : ' MISS'}`);
      ok &&= pass;
    }
    return ok ? 0 : 1;
  } finally {
    await snmp.stop();
    await snmpd.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench:snmp failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
