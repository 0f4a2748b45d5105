// `lab vmotion [VM HOST]`: a vMotion through the simulator's control endpoint (start event,
// move, end event, as vCenter shows them), timed on the switch with ovs-vsctl: the
// destination port gains the VM's VLAN at once (make before break), the source keeps it
// through pruneHoldDown and loses it after.

import type { VcsimDump } from '../helpers/vcsim.js';
import { agentDiagnosis, agentPid, labAgentFiles } from './agent.js';
import { hostNeeds } from './inventory.js';
import { readTrunks } from './net.js';
import type { LabOptions } from './options.js';
import { LabError, sleep } from './proc.js';
import { requireState } from './status.js';
import type { LabState } from './state.js';
import { dump, relocate } from './vcenter.js';

/** A destination that lacks the VLAN must gain it within this (the simulator ticks at 250 ms). */
const ADD_TIMEOUT_MS = 5_000;
/** After hold-down, the source's removal may take this much longer (reconcile, tick, slow box). */
const PRUNE_GRACE_MS = 15_000;

export interface VmotionResult {
  vm: string;
  vlan: number;
  from: { host: string; port: string };
  to: { host: string; port: string };
  holdDownS: number;
  /** ms from the relocate request to the destination port carrying the VLAN (ovs-vsctl) */
  addMs: number;
  /** the source port still carried the VLAN when the destination gained it */
  sourceKept: boolean;
  /** ms from the relocate request to the source port losing the VLAN */
  removeMs: number;
  /** relocate timings from the simulator: start event → move → end event, ms from the request */
  simulator: { startEventMs: number; movedMs: number | null; doneMs: number | null };
  trunksBefore: Record<string, number[]>;
  trunksAfter: Record<string, number[]>;
}

interface Candidate {
  vm: string;
  vlan: number;
  from: string;
  to: string;
}

/** VLANs this VM alone needs on `from` and that `to` lacks but would need once it is there. */
function candidates(d: VcsimDump, vmName: string, to?: string): Candidate[] {
  const vm = d.vms.find((v) => v.name === vmName || v.moid === vmName);
  if (!vm || vm.powerState !== 'poweredOn' || !vm.host) return [];
  const src = d.hosts.find((h) => h.moid === vm.host)!;
  const out: Candidate[] = [];
  for (const dst of d.hosts) {
    if (dst.moid === src.moid || (to && dst.name !== to)) continue;
    const moved: VcsimDump = { ...d, vms: d.vms.map((v) => (v.moid === vm.moid ? { ...v, host: dst.moid } : v)) };
    const srcNow = hostNeeds(d, src);
    const dstNow = hostNeeds(d, dst);
    const dstAfter = hostNeeds(moved, dst);
    for (const [vlan, vms] of srcNow) {
      if (vms.length === 1 && vms[0] === vm.name && !dstNow.has(vlan) && dstAfter.has(vlan)) out.push({ vm: vm.name, vlan, from: src.name, to: dst.name });
    }
  }
  return out;
}

function choose(d: VcsimDump, args: string[]): Candidate {
  if (args.length === 2) {
    const [vm, host] = args as [string, string];
    if (!d.vms.some((v) => v.name === vm || v.moid === vm)) throw new LabError(`no VM "${vm}" in the lab (${d.vms.map((v) => v.name).join(', ')})`);
    if (!d.hosts.some((h) => h.name === host)) throw new LabError(`no host "${host}" in the lab (${d.hosts.map((h) => h.name).join(', ')})`);
    const c = candidates(d, vm, host)[0];
    if (!c) throw new LabError(`moving ${vm} to ${host} changes no VLAN on the switch (another VM there needs the same one, or ${vm} is off): pick another, or give no arguments`);
    return c;
  }
  if (args.length !== 0) throw new LabError('usage: lab.ts vmotion [VM HOST]');
  // backup-01 first (the only VM on VLAN 130), then any that makes a visible change
  const names = ['backup-01', ...d.vms.map((v) => v.name).sort()];
  for (const n of names) {
    const c = candidates(d, n)[0];
    if (c) return c;
  }
  throw new LabError('no VM whose vMotion would change a VLAN on the switch');
}

const asRecord = (m: Map<string, number[]>): Record<string, number[]> => Object.fromEntries(m);

export async function vmotion(o: LabOptions, say: (l: string) => void): Promise<VmotionResult> {
  const state: LabState = requireState(o);
  const f = labAgentFiles(o.dir, o.snmpPort, state);
  if (!state.vcenter) throw new LabError('the lab has no vCenter simulator: run "lab.ts up" again');
  if (agentPid(f) === null) throw new LabError(`the agent is not running (log ${f.log}): run "lab.ts up" again`);
  const d = await dump(state.vcenter.control);
  const c = choose(d, o.args);
  const portOf = (host: string): string => state.hosts.find((h) => h.name === host)!.port;
  const src = portOf(c.from);
  const dst = portOf(c.to);
  const ports = state.hosts.map((h) => h.port);
  const before = await readTrunks(state.ovsDir, ports);
  if (!before.get(src)?.includes(c.vlan)) throw new LabError(`${src} does not carry VLAN ${c.vlan} before the vMotion: the lab is not converged (lab.ts status)`);
  say(`vMotion ${c.vm} (VLAN ${c.vlan}): ${c.from} (${src}) → ${c.to} (${dst}); pruneHoldDown ${state.holdDownS} s`);

  const t0 = performance.now();
  const wall0 = Date.now();
  const moving = relocate(state.vcenter.control, c.vm, c.to);
  moving.catch(() => undefined);
  const ms = () => performance.now() - t0;
  let addMs = -1;
  let sourceKept = false;
  while (addMs < 0) {
    const t = await readTrunks(state.ovsDir, [src, dst]);
    if (t.get(dst)?.includes(c.vlan)) {
      addMs = ms();
      sourceKept = t.get(src)?.includes(c.vlan) ?? false;
      break;
    }
    if (ms() > ADD_TIMEOUT_MS) {
      throw new LabError(
        `${dst} did not gain VLAN ${c.vlan} within ${ADD_TIMEOUT_MS / 1000} s of the vMotion (ovs-vsctl: ${dst} [${t.get(dst)?.join(',')}]); ${await agentDiagnosis(f, [src, dst])}`,
      );
    }
    await sleep(5);
  }
  const r = await moving;
  const sim = { startEventMs: r.startedAt - wall0, movedMs: r.movedAt !== undefined ? r.movedAt - wall0 : null, doneMs: r.doneAt !== undefined ? r.doneAt - wall0 : null };
  const timeline: [number, string][] = [
    [sim.startEventMs, `simulator posts VmBeingHotMigratedEvent (destHost ${c.to})`],
    [addMs, `${dst} carries VLAN ${c.vlan} (ovs-vsctl)${sourceKept ? `; ${src} still carries it` : ''}`],
  ];
  if (sim.movedMs !== null) timeline.push([sim.movedMs, `simulator's RelocateVM_Task moves ${c.vm}`]);
  if (sim.doneMs !== null) timeline.push([sim.doneMs, 'simulator posts VmMigratedEvent']);
  for (const [t, what] of timeline.sort((a, b) => a[0] - b[0])) say(`  +${fmt(t)}  ${what}`);
  if (!sourceKept) throw new LabError(`${src} lost VLAN ${c.vlan} before ${dst} gained it: make-before-break broken; ${await agentDiagnosis(f, [src, dst])}`);

  say(`  waiting for ${src} to drop VLAN ${c.vlan} after the ${state.holdDownS} s hold-down…`);
  const limit = state.holdDownS * 1000 + PRUNE_GRACE_MS;
  let removeMs = -1;
  let lastNote = 0;
  while (removeMs < 0) {
    const t = await readTrunks(state.ovsDir, [src]);
    if (!t.get(src)?.includes(c.vlan)) {
      removeMs = ms();
      break;
    }
    if (ms() > limit) {
      throw new LabError(`${src} still carries VLAN ${c.vlan} ${fmt(ms()).trim()} after the vMotion (hold-down ${state.holdDownS} s); ${await agentDiagnosis(f, [src, dst])}`);
    }
    if (ms() - lastNote >= 5000) {
      lastNote = ms();
      if (lastNote > 1000) say(`  +${fmt(lastNote)}  ${src} still carries VLAN ${c.vlan} (hold-down)`);
    }
    await sleep(50);
  }
  say(`  +${fmt(removeMs)}  ${src} no longer carries VLAN ${c.vlan} (ovs-vsctl)`);
  const early = removeMs < state.holdDownS * 1000;
  if (early) throw new LabError(`${src} dropped VLAN ${c.vlan} after ${fmt(removeMs)}, before its ${state.holdDownS} s hold-down`);
  const after = await readTrunks(state.ovsDir, ports);
  return {
    vm: c.vm,
    vlan: c.vlan,
    from: { host: c.from, port: src },
    to: { host: c.to, port: dst },
    holdDownS: state.holdDownS,
    addMs: Math.round(addMs),
    sourceKept,
    removeMs: Math.round(removeMs),
    simulator: { startEventMs: Math.round(sim.startEventMs), movedMs: sim.movedMs === null ? null : Math.round(sim.movedMs), doneMs: sim.doneMs === null ? null : Math.round(sim.doneMs) },
    trunksBefore: asRecord(before),
    trunksAfter: asRecord(after),
  };
}

function fmt(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms`.padStart(8) : `${(ms / 1000).toFixed(1)} s `.padStart(8);
}
