// npm run bench:reconcile — reconcile-path figures against a real Open vSwitch (48 ports).
//
//   ovsdb_apply_p50/p99      OvsdbDriver.apply() of a single-VLAN change → the change seen by
//                            an independent monitor client (a second, bare JSON-RPC socket)
//   ovsdb_raw_p50/p99        the same mutation as one bare `transact` on a bare socket: the floor
//   ovsdb_apply_ratio_p50    ours / floor, same run, interleaved (target ≤ 1.5×)
//   ovsdb_ports_read_p50     OvsdbDriver.ports() (fresh read of the bridge's ports), against
//                            the same three selects on a bare socket (ratio ≤ 1.5×)
//
// One line per figure: `name value unit (target …)`; exits 1 when a figure misses its target.
// The lead adds planner figures (48 ports × 4,000 VMs) by passing more measurements to main():
// see FIGURES below.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { OvsdbDriver } from '../../agent/drivers/ovsdb/driver.js';
import { silentLogger } from '../../agent/log.js';
import { BareOvsdbClient, TrunkWatch, startOvs } from '../helpers/ovs.js';
import { measurePlanTime } from './plan-time.js';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** shown as `(target …)` */
  target: string;
  ok: boolean;
}

export type Measurement = () => Promise<Figure[]>;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function formatFigure(f: Figure): string {
  const v = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(3);
  return `${f.name} ${v} ${f.unit} (target ${f.target})${f.ok ? '' : ' MISS'}`;
}

/** OVSDB apply latency, ours vs a bare transact, interleaved in one run. */
export async function measureOvsdbApply(opts: { ports?: number; rounds?: number; warmup?: number } = {}): Promise<Figure[]> {
  const nPorts = opts.ports ?? 48;
  const rounds = opts.rounds ?? 1000;
  const warmup = opts.warmup ?? 100;
  const ovs = await startOvs({ ports: nPorts, bridge: 'br0', trunks: [1] });
  const driver = new OvsdbDriver({ endpoint: ovs.endpoint, bridge: 'br0', logger: silentLogger() });
  let observer: BareOvsdbClient | null = null;
  let writer: BareOvsdbClient | null = null;
  try {
    await driver.open();
    observer = await BareOvsdbClient.open(ovs.socketPath);
    writer = await BareOvsdbClient.open(ovs.socketPath);
    const watch = await TrunkWatch.start(observer);

    const ours: number[] = [];
    const raw: number[] = [];
    const w = writer;
    for (let i = 0; i < warmup + rounds; i++) {
      // Each round adds one VLAN, the next round on that port removes it: single-VLAN changes,
      // trunks stay small. Ours and the floor alternate, each on its own ports and VLANs.
      const port = ovs.portNames[i % nPorts]!;
      const vlan = 2000 + (i % nPorts);
      const present = Math.floor(i / nPorts) % 2 === 0;
      const mutation = present ? 'insert' : 'delete';

      let seen = watch.wait(port, vlan, present);
      let t0 = performance.now();
      await driver.apply([
        present
          ? { port, add: [{ vlan, rule: 1, reason: 'bench' }], remove: [] }
          : { port, add: [], remove: [{ vlan, rule: 2, reason: 'bench' }] },
      ]);
      const oursMs = (await seen) - t0;

      const rawVlan = vlan + 1000;
      seen = watch.wait(port, rawVlan, present);
      t0 = performance.now();
      void w.send('transact', [
        'Open_vSwitch',
        { op: 'mutate', table: 'Port', where: [['name', '==', port]], mutations: [['trunks', mutation, ['set', [rawVlan]]]] },
      ]);
      const rawMs = (await seen) - t0;
      if (i >= warmup) {
        ours.push(oursMs);
        raw.push(rawMs);
      }
    }
    // ports(): the read every reconcile starts with, vs the same selects on a bare socket.
    const portsOurs: number[] = [];
    const portsRaw: number[] = [];
    const selects = [
      'Open_vSwitch',
      { op: 'select', table: 'Bridge', where: [['name', '==', 'br0']], columns: ['ports'] },
      { op: 'select', table: 'Port', where: [], columns: ['_uuid', 'name', 'trunks', 'tag', 'interfaces'] },
      { op: 'select', table: 'Interface', where: [], columns: ['_uuid', 'name', 'ifindex'] },
    ];
    for (let i = 0; i < warmup + rounds; i++) {
      let t0 = performance.now();
      const got = await driver.ports();
      const oursMs = performance.now() - t0;
      if (got.length < nPorts) throw new Error(`ports() returned ${got.length} ports`);
      t0 = performance.now();
      await w.send('transact', selects);
      const rawMs = performance.now() - t0;
      if (i >= warmup) {
        portsOurs.push(oursMs);
        portsRaw.push(rawMs);
      }
    }
    portsOurs.sort((a, b) => a - b);
    portsRaw.sort((a, b) => a - b);
    const pO = percentile(portsOurs, 50);
    const pR = percentile(portsRaw, 50);

    ours.sort((a, b) => a - b);
    raw.sort((a, b) => a - b);
    const o50 = percentile(ours, 50);
    const o99 = percentile(ours, 99);
    const r50 = percentile(raw, 50);
    const r99 = percentile(raw, 99);
    const ratio50 = o50 / r50;
    const ratio99 = o99 / r99;
    return [
      { name: 'ovsdb_apply_p50', value: o50, unit: 'ms', target: '≤ 1.5× ovsdb_raw_p50', ok: ratio50 <= 1.5 },
      { name: 'ovsdb_apply_p99', value: o99, unit: 'ms', target: '≤ 50 ms', ok: o99 <= 50 },
      { name: 'ovsdb_raw_p50', value: r50, unit: 'ms', target: 'floor', ok: true },
      { name: 'ovsdb_raw_p99', value: r99, unit: 'ms', target: 'floor', ok: true },
      { name: 'ovsdb_apply_ratio_p50', value: ratio50, unit: 'x', target: '≤ 1.5', ok: ratio50 <= 1.5 },
      { name: 'ovsdb_apply_ratio_p99', value: ratio99, unit: 'x', target: '≤ 3', ok: ratio99 <= 3 },
      { name: 'ovsdb_ports_read_p50', value: pO, unit: 'ms', target: `≤ 1.5× ovsdb_raw_select_p50, ${nPorts} ports`, ok: pO / pR <= 1.5 },
      { name: 'ovsdb_raw_select_p50', value: pR, unit: 'ms', target: 'floor', ok: true },
      { name: 'ovsdb_ports_read_ratio_p50', value: pO / pR, unit: 'x', target: '≤ 1.5', ok: pO / pR <= 1.5 },
    ];
  } finally {
    observer?.close();
    writer?.close();
    await driver.close();
    await ovs.stop();
  }
}

// FIGURES: every measurement this bench runs, in order. The lead's planner figure
// ("plan time 48 ports × 4,000 VMs", agent/core/plan.ts) goes here as another Measurement,
// or is passed to main() by a wrapper script.
export const FIGURES: Measurement[] = [() => measurePlanTime(), () => measureOvsdbApply()];

/** Runs the measurements, prints one line per figure; resolves to the process exit code. */
export async function main(measurements: Measurement[] = FIGURES): Promise<number> {
  let ok = true;
  for (const m of measurements) {
    for (const f of await m()) {
      console.log(formatFigure(f));
      ok &&= f.ok;
    }
  }
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
}
