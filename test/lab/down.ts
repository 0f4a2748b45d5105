// `lab down`: stops the agent, the simulator, the hosts' lldpds and Open vSwitch; deletes the
// namespaces, veths and the lab dir. Works on a half-built or crashed lab too: names come
// from --prefix, processes from the pidfiles in the lab dir (killed only while they are still
// the processes the lab started).

import { existsSync, rmSync } from 'node:fs';
import { agentFiles, stopAgent } from './agent.js';
import { isTap, removeDatapathTap, stopHost, stopOvs } from './net.js';
import { labNames, type LabOptions } from './options.js';
import { linkExists, netnsList, pidsUsing, trySh } from './proc.js';
import { readState } from './state.js';
import { stopVcenter } from './vcenter.js';

/** Returns what it removed, for the caller to print (empty: nothing was there). */
export async function down(o: LabOptions): Promise<string[]> {
  const names = labNames(o);
  const state = readState(names.stateFile);
  const removed: string[] = [];
  if (existsSync(o.dir)) {
    const [agent, vc] = await Promise.all([stopAgent(agentFiles(o.dir, o.snmpPort)), stopVcenter(o.dir)]);
    if (agent) removed.push('agent');
    if (vc) removed.push('vCenter simulator');
  }
  const present = new Set(netnsList());
  const hostPorts = new Map<string, string | null>(names.namespaces.map((ns) => [ns, null]));
  for (const h of state?.hosts ?? []) hostPorts.set(h.ns, h.port);
  for (const [ns, port] of hostPorts) {
    if (!present.has(ns)) continue;
    stopHost(ns, port);
    removed.push(`host namespace ${ns}`);
  }
  if (existsSync(names.ovsDir)) {
    await stopOvs(names.ovsDir, state?.bridge ?? names.bridge);
    removed.push('Open vSwitch');
  }
  // veths go with their namespace; a port whose namespace was deleted by hand goes here
  for (const h of state?.hosts ?? []) {
    if (linkExists(h.port) && trySh('ip', ['link', 'del', h.port])) removed.push(`link ${h.port}`);
  }
  // a crashed lab whose pidfiles are gone: whatever still runs with a path in the lab dir
  const stray = pidsUsing(o.dir);
  for (const pid of stray) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  if (stray.length) {
    if (isTap(state?.bridge ?? names.bridge)) trySh('ip', ['link', 'del', state?.bridge ?? names.bridge]);
    removeDatapathTap();
    removed.push(`${stray.length} stray process${stray.length > 1 ? 'es' : ''} (${stray.join(', ')})`);
  }
  if (existsSync(o.dir)) {
    rmSync(o.dir, { recursive: true, force: true });
    removed.push(`dir ${o.dir}`);
  }
  return removed;
}
