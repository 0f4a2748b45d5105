// npm run bench:vcsim — the vCenter test peer itself at 500 hosts / 10,000 VMs: inventory build
// time, and the delivery floor (relocate → runtime.host seen by the launcher's bare govmomi
// WaitForUpdatesEx client) with the simulator's own collector and with the launcher's
// incremental one, measured on the same relocates in the same run.
// One line per figure, `name value unit (target …)`; exit 1 on any miss.

import { startVcsim, type Vcsim, type VcsimSpec } from '../helpers/vcsim.js';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 500);
const VMS = Number(process.env.BENCH_VMS ?? 10_000);
const RELOCATES = Number(process.env.BENCH_RELOCATES ?? 20);

let missed = false;
function figure(name: string, value: number, unit: string, target: string, ok: boolean): void {
  if (!ok) missed = true;
  console.log(`${name} ${Number.isInteger(value) ? value : value.toFixed(2)} ${unit} (target ${target})${ok ? '' : '  MISS'}`);
}

const spec = (collector: VcsimSpec['collector']): VcsimSpec => ({
  collector,
  hostCount: HOSTS,
  vmCount: VMS,
  portgroups: [
    { name: 'web', vlan: 100 },
    { name: 'db', vlan: 200 },
  ],
  switches: [{ name: 'DSwitch', portgroups: [{ name: 'dv-app', vlan: 300 }] }],
  vtep: { portgroup: 'dv-app' },
});

/** Relocates spaced 1 s apart (the simulator's collector must not queue them) and the floor's delays. */
async function floorOf(vc: Vcsim): Promise<{ p50: number; p99: number; seen: number }> {
  const dump = await vc.control.dump();
  for (let i = 0; i < RELOCATES; i++) {
    const vm = dump.vms[(i * 7919) % dump.vms.length]!;
    let dest = dump.hosts[(i * 37 + 1) % dump.hosts.length]!;
    if (dest.moid === vm.host) dest = dump.hosts[(i * 37 + 2) % dump.hosts.length]!;
    await vc.control.relocate(vm.name, dest.name);
    await new Promise((r) => setTimeout(r, 1000));
  }
  let f = await vc.control.floor();
  for (let i = 0; i < 100 && f.pending > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    f = await vc.control.floor();
  }
  return { p50: f.p50, p99: f.p99, seen: f.count };
}

async function main(): Promise<void> {
  const floors: Record<string, { p50: number; p99: number; seen: number }> = {};
  for (const collector of ['simulator', 'incremental'] as const) {
    const vc = await startVcsim(spec(collector), { floor: true });
    try {
      if (collector === 'simulator') {
        figure('vcsim_build', vc.buildMs, 'ms', `<= 15000 ms for ${HOSTS} hosts / ${VMS} VMs`, vc.buildMs <= 15_000);
      }
      floors[collector] = await floorOf(vc);
      const f = floors[collector]!;
      figure(`vcsim_floor_${collector}_seen`, f.seen, 'relocates', `= ${RELOCATES}`, f.seen === RELOCATES);
      figure(`vcsim_floor_${collector}_p50`, Math.round(f.p50), 'ms', 'reference', true);
      figure(`vcsim_floor_${collector}_p99`, Math.round(f.p99), 'ms', 'reference', true);
    } finally {
      await vc.stop();
    }
  }
  const ratio = floors.incremental!.p50 / floors.simulator!.p50;
  figure('vcsim_floor_incremental_vs_simulator_p50', ratio, 'x', '<= 1 (never slower than the simulator)', ratio <= 1);
}

main().then(
  () => process.exit(missed ? 1 : 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
