// `lab status [--json]`: what runs, and every switch port's trunks as ovs-vsctl reads them
// (ground truth) against what the simulator's VMs need there (the oracle in inventory.ts).

import { agentPid, labAgentFiles } from './agent.js';
import { expectedTrunks, hostNeeds } from './inventory.js';
import { ovsEndpoint, ovsRunning, readTrunks } from './net.js';
import { labNames, type LabOptions } from './options.js';
import { LabError, sh } from './proc.js';
import { readState, type LabState } from './state.js';
import { dump, vcenterRunning } from './vcenter.js';
import type { VcsimDump } from '../helpers/vcsim.js';

export interface PortStatus {
  port: string;
  host: string;
  /** what the host's lldpd speaks */
  protocol: 'lldp' | 'cdp';
  /** ovs-vsctl's trunks */
  trunks: number[];
  /** static VLANs + what the VMs on the host need */
  expected: number[];
  ok: boolean;
  /** needed VLAN → VMs that need it */
  needs: Record<string, string[]>;
}

export interface LabStatus {
  dir: string;
  prefix: string;
  up: boolean;
  converged: boolean;
  vcenter: { url: string | null; thumbprint: string | null; running: boolean };
  agent: { running: boolean; pid: number | null; snmp: string; config: string; log: string; communityFile: string };
  ovs: { running: boolean; bridge: string; endpoint: string };
  hosts: { name: string; namespace: string; port: string; mac: string; protocol: 'lldp' | 'cdp'; lldpd: boolean }[];
  ports: PortStatus[];
  problems: string[];
}

function nsHasProcesses(ns: string): boolean {
  try {
    return sh('ip', ['netns', 'pids', ns]).trim() !== '';
  } catch {
    return false;
  }
}

export function requireState(o: LabOptions): LabState {
  const s = readState(labNames(o).stateFile);
  if (!s) throw new LabError(`no lab in ${o.dir}: run "lab.ts up"${o.prefix ? ` --prefix ${o.prefix}` : ''} first`);
  return s;
}

export function portStatus(state: LabState, trunks: Map<string, number[]>, d: VcsimDump | null): PortStatus[] {
  return state.hosts.map((h) => {
    const host = d?.hosts.find((x) => x.name === h.name);
    const needs = host && d ? Object.fromEntries([...hostNeeds(d, host)].sort((a, b) => a[0] - b[0]).map(([v, vms]) => [String(v), vms])) : {};
    const expected = d ? expectedTrunks(d, h.name) : [];
    const t = trunks.get(h.port) ?? [];
    return { port: h.port, host: h.name, protocol: h.cdpOnly ? 'cdp' : 'lldp', trunks: t, expected, ok: d !== null && t.join(',') === expected.join(','), needs };
  });
}

export async function labStatus(o: LabOptions): Promise<LabStatus> {
  const state = requireState(o);
  const f = labAgentFiles(o.dir, o.snmpPort, state);
  const problems: string[] = [];
  const vcUp = vcenterRunning(o.dir);
  const ovs = ovsRunning(state.ovsDir);
  const pid = agentPid(f);
  let d: VcsimDump | null = null;
  if (vcUp && state.vcenter) d = await dump(state.vcenter.control).catch(() => null);
  if (!vcUp) problems.push('the vCenter simulator is not running');
  if (!ovs.db || !ovs.vswitchd) problems.push(`Open vSwitch is not running (ovsdb-server ${ovs.db ? 'up' : 'down'}, ovs-vswitchd ${ovs.vswitchd ? 'up' : 'down'})`);
  if (pid === null) problems.push(`the agent is not running (log: ${f.log})`);
  const trunks = ovs.db ? await readTrunks(state.ovsDir, state.hosts.map((h) => h.port)) : new Map<string, number[]>();
  const ports = portStatus(state, trunks, d);
  const hosts = state.hosts.map((h) => ({ name: h.name, namespace: h.ns, port: h.port, mac: h.mac, protocol: (h.cdpOnly ? 'cdp' : 'lldp') as 'lldp' | 'cdp', lldpd: nsHasProcesses(h.ns) }));
  for (const h of hosts) if (!h.lldpd) problems.push(`lldpd of ${h.name} is not running (namespace ${h.namespace})`);
  for (const p of ports) if (!p.ok && d) problems.push(`${p.port}: trunks [${p.trunks.join(',')}], expected [${p.expected.join(',')}]`);
  return {
    dir: o.dir,
    prefix: o.prefix,
    up: vcUp && ovs.db && ovs.vswitchd && pid !== null && hosts.every((h) => h.lldpd),
    converged: d !== null && ports.every((p) => p.ok),
    vcenter: { url: state.vcenter?.url ?? null, thumbprint: state.vcenter?.thumbprint ?? null, running: vcUp },
    agent: { running: pid !== null, pid, snmp: f.snmp, config: f.config, log: f.log, communityFile: f.communityFile },
    ovs: { running: ovs.db && ovs.vswitchd, bridge: state.bridge, endpoint: ovsEndpoint(state.ovsDir) },
    hosts,
    ports,
    problems,
  };
}

export function renderPorts(ports: PortStatus[]): string {
  const rows = [['PORT', 'NEIGHBOUR', 'VIA', 'TRUNKS (ovs-vsctl)', 'EXPECTED', ''], ...ports.map((p) => [p.port, `${p.host}/vmnic0`, p.protocol.toUpperCase(), p.trunks.join(','), p.expected.join(','), p.ok ? 'ok' : 'DIFFERS'])];
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

export function renderStatus(s: LabStatus): string {
  const lines = [
    `lab ${s.dir}: ${s.up ? 'up' : 'NOT fully up'}, ${s.converged ? 'converged' : 'NOT converged'}`,
    `  vCenter simulator  ${s.vcenter.running ? 'running' : 'stopped'}  ${s.vcenter.url ?? ''}`,
    `                     thumbprint ${s.vcenter.thumbprint ?? '?'}`,
    `  Open vSwitch       ${s.ovs.running ? 'running' : 'stopped'}  bridge ${s.ovs.bridge}, ${s.ovs.endpoint}`,
    `  agent              ${s.agent.running ? `running (pid ${s.agent.pid})` : 'stopped'}  SNMP ${s.agent.snmp}, log ${s.agent.log}`,
    ...s.hosts.map((h) => `  ${h.name.padEnd(18)} namespace ${h.namespace}, vmnic0 ${h.mac} → ${h.port}, ${h.protocol.toUpperCase()}${h.lldpd ? '' : ' (lldpd NOT running)'}`),
    '',
    renderPorts(s.ports),
  ];
  if (s.problems.length) lines.push('', 'problems:', ...s.problems.map((p) => `  - ${p}`));
  return lines.join('\n') + '\n';
}
