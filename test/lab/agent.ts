// The agent in the lab, run as an operator runs it: the built CLI (dist/agent/cli/vmtrace.js)
// with node, a config file with secrets in 0600 files, `vmtrace config check` first, then
// `vmtrace agent` in the background with its JSON log in the lab dir, read back with
// `vmtrace show` over SNMP.

import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../helpers/vcsim.js';
import { IGNORED_NETWORKS, STATIC_VLANS } from './inventory.js';
import { daemon, ourPid, run, stopPid, tail } from './proc.js';
import type { VcsimInfo } from './vcenter.js';

const DIST_CLI = join(REPO_ROOT, 'dist/agent/cli/vmtrace.js');
const SRC_CLI = join(REPO_ROOT, 'agent/cli/vmtrace.ts');
const TSX = join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs');

function newestSource(dirs: string[]): number {
  let newest = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of dirs) walk(join(REPO_ROOT, d));
  return newest;
}

/**
 * The command that runs `vmtrace`: the built JS when it is there and newer than every source
 * (what `npm run build` makes), else the sources through tsx, so the lab never runs stale code.
 */
export function vmtraceCommand(): { argv: string[]; label: string } {
  let built = 0;
  try {
    built = statSync(DIST_CLI).mtimeMs;
  } catch {
    /* not built */
  }
  if (built > 0 && built >= newestSource(['agent', 'shared'])) {
    return { argv: [process.execPath, DIST_CLI], label: `node ${DIST_CLI}` };
  }
  return { argv: [process.execPath, '--import', TSX, SRC_CLI], label: `node --import tsx ${SRC_CLI} (dist/ missing or older than the sources)` };
}

export interface AgentFiles {
  config: string;
  log: string;
  pid: string;
  communityFile: string;
  snmp: string;
}

export function agentFiles(dir: string, snmpPort: number): AgentFiles {
  return {
    config: join(dir, 'agent.yaml'),
    log: join(dir, 'agent.log'),
    pid: join(dir, 'agent.pid'),
    communityFile: join(dir, 'snmp.community'),
    snmp: `127.0.0.1:${snmpPort}`,
  };
}

/** The agent files of a lab that is up: its SNMP port as `up` chose it, whatever flags come now. */
export function labAgentFiles(dir: string, fallbackPort: number, state: { agent?: { snmp: string } } | null): AgentFiles {
  const port = state?.agent ? Number(state.agent.snmp.split(':').pop()) : fallbackPort;
  return agentFiles(dir, Number.isInteger(port) ? port : fallbackPort);
}

export function writeAgentConfig(
  dir: string,
  o: { switchName: string; vc: VcsimInfo; ovsEndpoint: string; bridge: string; portGlob: string; holdDownS: number; snmpPort: number },
): AgentFiles {
  const f = agentFiles(dir, o.snmpPort);
  const secret = join(dir, 'vc1.secret');
  writeFileSync(secret, o.vc.password + '\n', { mode: 0o600 });
  writeFileSync(f.communityFile, randomBytes(12).toString('hex') + '\n', { mode: 0o600 });
  const cfg = {
    switch: o.switchName,
    stateDir: join(dir, 'state'),
    mode: 'enforce',
    vcenters: [{ name: 'vc1', url: o.vc.url, username: o.vc.username, passwordFile: secret, thumbprint: o.vc.thumbprint }],
    ports: { include: [o.portGlob], defaults: { staticVlans: STATIC_VLANS, pruneHoldDown: `${o.holdDownS}s` } },
    networks: { default: 'portgroup', ignore: IGNORED_NETWORKS },
    allowedVlans: ['2-4093'],
    protectedVlans: [1],
    lldp: { protocols: ['lldp', 'cdp'] },
    driver: { kind: 'ovsdb', endpoint: o.ovsEndpoint, bridge: o.bridge },
    snmp: { listen: `udp:${f.snmp}`, communities: [{ communityFile: f.communityFile, from: '127.0.0.1/32' }] },
    log: { level: 'info' },
  };
  writeFileSync(f.config, `# written by test/lab (vmtrace lab)\n${stringify(cfg)}`, { mode: 0o644 });
  return f;
}

export async function vmtrace(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { argv } = vmtraceCommand();
  return run(argv[0]!, [...argv.slice(1), ...args], process.env, 60_000);
}

export function startAgent(f: AgentFiles): number {
  const { argv } = vmtraceCommand();
  return daemon(argv[0]!, [...argv.slice(1), 'agent', '--config', f.config], { pidFile: f.pid, out: f.log, cwd: REPO_ROOT });
}

export const agentPid = (f: AgentFiles): number | null => ourPid(f.pid, f.config);

export const stopAgent = (f: AgentFiles): Promise<boolean> => stopPid(f.pid, f.config, 10_000);

export function show(f: AgentFiles, what: string, json = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return vmtrace(['show', what, '--agent', f.snmp, '--community-file', f.communityFile, ...(json ? ['--json'] : [])]);
}

interface ShownPort {
  name: string;
  neighborHost: string | null;
  neighborNic: string | null;
  neighborProtocol: string | null;
  vlans: number[];
  missingVlans: number[];
  surplusVlans: number[];
  state: string;
  reason: string | null;
}

/** The agent's own account of some ports (`vmtrace show ports --json`), for failure messages. */
export async function agentPortView(f: AgentFiles, ports: string[]): Promise<string> {
  const r = await show(f, 'ports', true);
  if (r.code !== 0) return `vmtrace show ports failed (exit ${r.code}): ${r.stderr.trim()}`;
  let shown: ShownPort[];
  try {
    shown = (JSON.parse(r.stdout) as { ports: ShownPort[] }).ports;
  } catch {
    return `vmtrace show ports --json printed no JSON: ${r.stdout.slice(0, 200)}`;
  }
  const list = (v: number[]) => (v.length ? v.join(',') : '-');
  return shown
    .filter((p) => ports.includes(p.name))
    .map(
      (p) =>
        `  ${p.name}: state ${p.state}${p.reason ? ` (${p.reason})` : ''}; neighbour ${p.neighborHost ? `${p.neighborHost}/${p.neighborNic} (${p.neighborProtocol})` : '-'}; ` +
        `vlans ${list(p.vlans)}, missing ${list(p.missingVlans)}, surplus ${list(p.surplusVlans)}`,
    )
    .join('\n');
}

/**
 * A port the planner calls blind ("neighbour unknown or expired") while `show neighbors` still
 * lists its neighbour, which lldpd keeps sending every second: worth saying in so many words.
 */
async function blindButHeard(f: AgentFiles, view: string, ports: string[]): Promise<string> {
  const blind = ports.filter((p) => new RegExp(`^  ${p}: state frozen \\(neighbour unknown or expired\\)`, 'm').test(view));
  if (blind.length === 0) return '';
  const r = await show(f, 'neighbors', true);
  if (r.code !== 0) return '';
  let heard: { port: string; sysName: string | null; ttl: number }[];
  try {
    heard = (JSON.parse(r.stdout) as { neighbors: { port: string; sysName: string | null; ttl: number }[] }).neighbors;
  } catch {
    return '';
  }
  const both = heard.filter((n) => blind.includes(n.port));
  if (both.length === 0) return '';
  return (
    both.map((n) => `  note: ${n.port}'s neighbour ${n.sysName ?? '?'} (TTL ${n.ttl} s) is listed by vmtrace show neighbors and its lldpd sends every 1 s,`).join('\n') +
    '\n        yet the planner treats it as expired: the agent does not refresh a neighbour it keeps hearing (an agent bug, not the lab)\n'
  );
}

/** What a failure message carries: the agent's view of the ports, then its last log lines. */
export async function agentDiagnosis(f: AgentFiles, ports: string[]): Promise<string> {
  const view = await agentPortView(f, ports).catch((e: Error) => `vmtrace show ports: ${e.message}`);
  const note = await blindButHeard(f, view, ports).catch(() => '');
  return `the agent's view (vmtrace show ports):\n${view}\n${note}last agent log lines (${f.log}):\n${tail(f.log, 12)}`;
}
