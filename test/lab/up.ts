// `lab up`: everything real on one machine. The vCenter simulator (4 hosts, 20 VMs), one
// namespace per ESXi-like host with lldpd (esx-04 speaks CDP only, as a standard vSwitch host
// does), Open vSwitch in the root namespace with the hosts' cables as trunk ports, and the
// agent; then waits until ovs-vsctl shows every port carrying what its host's VMs need.

import { mkdirSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { agentDiagnosis, agentPid, show, startAgent, vmtrace, vmtraceCommand, writeAgentConfig, type AgentFiles } from './agent.js';
import { labSpec } from './inventory.js';
import { DATAPATH_TAP, ovsEndpoint, pnicMac, readTrunks, resumeHost, startHost, startOvs, vsctlTrunksText, type LabHost } from './net.js';
import { HOSTS, labNames, type LabOptions } from './options.js';
import { LabError, linkExists, sleep, tail, vswitchdsHere } from './proc.js';
import { portStatus, renderPorts } from './status.js';
import { writeState, type LabState } from './state.js';
import { dump, startVcenter } from './vcenter.js';
import { down } from './down.js';

const CONVERGE_TIMEOUT_MS = 60_000;

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function choosePorts(o: LabOptions): string[] {
  const n = labNames(o);
  if (!n.ports.some(linkExists)) return n.ports;
  if (!n.altPorts.some(linkExists)) return n.altPorts;
  throw new LabError(`switch port names ${n.ports.join(',')} and ${n.altPorts.join(',')} are taken in the root namespace: use --prefix`);
}

export type Say = (line: string) => void;

/** What must hold before the lab builds anything (a previous lab of this prefix already gone). */
async function preflight(o: LabOptions): Promise<void> {
  const names = labNames(o);
  // ovs-vswitchd deletes the datapaths of its namespace that its database does not list: a
  // kernel one here (ovs-system) belongs to another Open vSwitch, which the lab must not wreck
  if (linkExists('ovs-system')) {
    throw new LabError('a kernel Open vSwitch datapath (ovs-system) exists in the root namespace: the lab runs its own ovs-vswitchd there, which would delete it; stop that Open vSwitch first');
  }
  // The userspace datapath is a tap named ovs-netdev in the namespace of its ovs-vswitchd:
  // one per namespace, so one lab per machine (another prefix does not help here).
  const others = vswitchdsHere();
  if (others.length > 0 || linkExists(DATAPATH_TAP)) {
    throw new LabError(
      `another Open vSwitch runs in the root namespace (${others.length ? `ovs-vswitchd pid ${others.join(', ')}` : `tap ${DATAPATH_TAP} exists`}), ` +
        'and its userspace datapath would collide with the lab\'s: only one lab runs per machine. Is another lab up? ' +
        'Stop it with: bash scripts/lab.sh down [--prefix TAG]',
    );
  }
  if (linkExists(names.bridge)) throw new LabError(`an interface named ${names.bridge} exists in the root namespace (another Open vSwitch?): use --prefix`);
  if (!(await udpPortFree(o.snmpPort))) throw new LabError(`UDP port 127.0.0.1:${o.snmpPort} is in use: use --snmp-port`);
}

export async function up(o: LabOptions, say: Say): Promise<LabState> {
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root (network namespaces, Open vSwitch)');
  const leftovers = await down(o);
  if (leftovers.length) say(`cleaned up a previous lab: ${leftovers.join(', ')}`);
  await preflight(o);
  const names = labNames(o);
  const ports = choosePorts(o);
  mkdirSync(o.dir, { recursive: true, mode: 0o755 });
  const hosts: LabHost[] = names.hosts.map((name, i) => ({
    name,
    ns: names.namespaces[i]!,
    port: ports[i]!,
    mac: pnicMac(i + 1, 0),
    mgmtIp: `192.0.2.${11 + i}`,
    cdpOnly: i === HOSTS - 1,
    ttlS: o.lldpTtlS,
  }));
  const state: LabState = {
    prefix: o.prefix,
    dir: o.dir,
    createdAt: new Date().toISOString(),
    hosts,
    bridge: names.bridge,
    ovsDir: names.ovsDir,
    switchName: names.switchName,
    holdDownS: o.holdDownS,
  };
  writeState(names.stateFile, state); // before anything exists: down finds what follows

  say('starting the vCenter simulator, 4 ESXi-like hosts and Open vSwitch…');
  const vcStarting = startVcenter(o.dir, labSpec());
  vcStarting.catch(() => undefined);
  for (const h of hosts) startHost(o.dir, h);
  await startOvs(names.ovsDir, names.bridge, ports);
  await Promise.all(hosts.map((h) => resumeHost(o.dir, h)));
  const vc = await vcStarting;
  state.vcenter = { url: vc.url, thumbprint: vc.thumbprint, control: vc.control, username: vc.username };
  writeState(names.stateFile, state);

  say('');
  say(`vCenter simulator  ${vc.url}  (user ${vc.username})`);
  say(`  thumbprint       ${vc.thumbprint}`);
  const d = await dump(vc.control);
  say(`  inventory        ${d.hosts.length} hosts, ${d.vms.length} VMs, networks ${d.networks.filter((n) => !n.uplink && n.hosts.length > 0).map((n) => n.name).join(', ')}`);
  say(`Open vSwitch       bridge ${names.bridge} (datapath netdev), ${ovsEndpoint(names.ovsDir)}`);
  for (const h of hosts) {
    say(`  ${h.port.padEnd(16)} ↔ ${h.name}/vmnic0 ${h.mac}, namespace ${h.ns}, lldpd speaking ${h.cdpOnly ? 'CDP only (-ccccc)' : 'LLDP'} every 1 s, TTL ${h.ttlS} s`);
  }

  const f = writeAgentConfig(o.dir, {
    switchName: names.switchName,
    vc,
    ovsEndpoint: ovsEndpoint(names.ovsDir),
    bridge: names.bridge,
    portGlob: ports[0]!.replace(/1$/, '*'),
    holdDownS: o.holdDownS,
    snmpPort: o.snmpPort,
  });
  state.agent = { config: f.config, log: f.log, snmp: f.snmp, communityFile: f.communityFile, cli: vmtraceCommand().argv };
  writeState(names.stateFile, state);
  say('');
  say(`$ vmtrace config check ${f.config}`);
  const check = await vmtrace(['config', 'check', f.config]);
  say((check.stdout + check.stderr).trimEnd());
  if (check.code !== 0) throw new LabError(`vmtrace config check failed (exit ${check.code}) on the lab's own config`);

  say(`$ vmtrace agent --config ${f.config} &    (${vmtraceCommand().label}; log ${f.log})`);
  const startedAt = Date.now();
  startAgent(f);
  await converge(state, f, startedAt, say);
  return state;
}

/** Waits until ovs-vsctl shows every port as the simulator's VMs need it; throws with why not. */
async function converge(state: LabState, f: AgentFiles, startedAt: number, say: Say): Promise<void> {
  const control = state.vcenter!.control;
  const portNames = state.hosts.map((h) => h.port);
  for (;;) {
    const [d, trunks] = await Promise.all([dump(control), readTrunks(state.ovsDir, portNames)]);
    const ports = portStatus(state, trunks, d);
    if (ports.every((p) => p.ok)) {
      say(`converged ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the agent started`);
      break;
    }
    if (agentPid(f) === null) {
      throw new LabError(`the agent exited before the switch converged; last log lines (${f.log}):\n${tail(f.log, 15)}`);
    }
    if (Date.now() - startedAt > CONVERGE_TIMEOUT_MS) {
      throw new LabError(
        `the switch did not converge within ${CONVERGE_TIMEOUT_MS / 1000} s of the agent's start (ovs-vsctl against the simulator's VMs):\n` +
          `${renderPorts(ports)}\n${await agentDiagnosis(f, portNames)}`,
      );
    }
    await sleep(200);
  }
}

/** What an operator checks: ovs-vsctl's trunks, then the agent's view over SNMP. */
export async function showLab(state: LabState, f: AgentFiles, say: Say): Promise<boolean> {
  const ports = state.hosts.map((h) => h.port);
  say('');
  say(`$ for p in ${ports.join(' ')}; do ovs-vsctl get port $p trunks; done      (ground truth)`);
  say(await vsctlTrunksText(state.ovsDir, ports));
  let ok = true;
  for (const what of ['summary', 'ports', 'neighbors']) {
    say('');
    say(`$ vmtrace show ${what} --agent ${f.snmp} --community-file ${f.communityFile}`);
    const r = await show(f, what);
    say((r.stdout + r.stderr).trimEnd());
    if (r.code !== 0) {
      ok = false;
      say(`!! vmtrace show ${what} failed (exit ${r.code})`);
    }
  }
  return ok;
}
