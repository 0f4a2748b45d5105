// The lab's command line and the names it derives from it. Every name (namespaces, switch
// ports, bridge, lab dir, SNMP port) comes from --prefix, so a test instance never collides
// with an operator's lab, and `down` can find a crashed run's leftovers without its state file.

import { join } from 'node:path';

export const HOSTS = 4;
export const DEFAULT_DIR = '/run/vmtrace-lab';
export const DEFAULT_SNMP_PORT = 16100;
export const DEFAULT_HOLD_DOWN_S = 20;
/** lldpd's default tx-hold (4) at the lab's 1 s tx-interval */
export const DEFAULT_LLDP_TTL_S = 4;

export interface LabOptions {
  /** '' for the operator's lab; a short tag for a test instance */
  prefix: string;
  dir: string;
  snmpPort: number;
  holdDownS: number;
  /** lldpd's TTL on the hosts: tx-interval 1 s × tx-hold */
  lldpTtlS: number;
  json: boolean;
  /** positional arguments after the command (vmotion VM HOST) */
  args: string[];
}

export class UsageError extends Error {}

export const USAGE = `usage: node --import tsx test/lab/lab.ts up|status|vmotion|down [options]
  up                     vCenter simulator, 4 ESXi-like hosts (lldpd), Open vSwitch, the agent;
                         waits until the switch has converged, then shows it
  status [--json]        what runs, trunks per port (ovs-vsctl) against what the VMs need
  vmotion [VM HOST]      moves a VM (default: one whose VLAN the destination lacks) and times
                         the destination's add and the source's delayed removal
  down                   stops everything, deletes namespaces, veths and the lab dir
options:
  --prefix TAG           names everything TAG… (a-z, 0-9, up to 6): a second, separate lab
  --dir DIR              lab dir (default ${DEFAULT_DIR}[-TAG])
  --snmp-port N          the agent's SNMP port on 127.0.0.1 (default ${DEFAULT_SNMP_PORT})
  --hold-down S          pruneHoldDown in seconds (default ${DEFAULT_HOLD_DOWN_S})
  --lldp-ttl S           the hosts' LLDP/CDP TTL: tx-interval 1 s x tx-hold (default ${DEFAULT_LLDP_TTL_S})
  --json                 machine-readable output (status, vmotion)
`;

export function parseOptions(argv: string[]): { command: string; opts: LabOptions } {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help') throw new UsageError(USAGE);
  let prefix = '';
  let dir: string | null = null;
  let snmpPort = DEFAULT_SNMP_PORT;
  let holdDownS = DEFAULT_HOLD_DOWN_S;
  let lldpTtlS = DEFAULT_LLDP_TTL_S;
  let json = false;
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--prefix') prefix = value();
    else if (a === '--dir') dir = value();
    else if (a === '--snmp-port') snmpPort = Number(value());
    else if (a === '--hold-down') holdDownS = Number(value());
    else if (a === '--lldp-ttl') lldpTtlS = Number(value());
    else if (a === '--json') json = true;
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}\n${USAGE}`);
    else args.push(a);
  }
  if (!/^[a-z0-9]{0,6}$/.test(prefix)) throw new UsageError('--prefix: a-z and 0-9 only, at most 6 characters');
  if (!Number.isInteger(snmpPort) || snmpPort < 1 || snmpPort > 65535) throw new UsageError('--snmp-port: 1-65535');
  if (!Number.isFinite(holdDownS) || holdDownS < 1 || holdDownS > 3600) throw new UsageError('--hold-down: seconds, 1-3600');
  if (!Number.isInteger(lldpTtlS) || lldpTtlS < 2 || lldpTtlS > 100) throw new UsageError('--lldp-ttl: whole seconds, 2-100 (lldpd tx-hold)');
  return {
    command,
    opts: { prefix, dir: dir ?? defaultDir(prefix), snmpPort, holdDownS, lldpTtlS, json, args },
  };
}

export const defaultDir = (prefix: string): string => (prefix ? `${DEFAULT_DIR}-${prefix}` : DEFAULT_DIR);

/** The flags that name this lab instance, for the hints printed to the operator. */
export function instanceFlags(o: LabOptions): string {
  const f: string[] = [];
  if (o.prefix) f.push(`--prefix ${o.prefix}`);
  if (o.dir !== defaultDir(o.prefix)) f.push(`--dir ${o.dir}`);
  if (o.snmpPort !== DEFAULT_SNMP_PORT) f.push(`--snmp-port ${o.snmpPort}`);
  return f.join(' ');
}

export interface LabNames {
  /** host names in the simulator, esx-01.lab… */
  hosts: string[];
  /** one namespace per host */
  namespaces: string[];
  /** switch ports, preferred names (swp1…); `up` falls back to altPorts when taken */
  ports: string[];
  altPorts: string[];
  bridge: string;
  switchName: string;
  ovsDir: string;
  stateFile: string;
}

export function labNames(o: LabOptions): LabNames {
  const idx = Array.from({ length: HOSTS }, (_, i) => i + 1);
  const p = o.prefix;
  return {
    hosts: idx.map((i) => `esx-${String(i).padStart(2, '0')}.lab`),
    namespaces: idx.map((i) => `${p}vlab-esx${String(i).padStart(2, '0')}`),
    ports: idx.map((i) => `${p}swp${i}`),
    altPorts: idx.map((i) => `${p}vlabswp${i}`),
    // ovs-vswitchd's netdev datapath creates the bridge as a tap in the root namespace
    bridge: `${p}br0`,
    switchName: p ? `lab-${p}-leaf1` : 'lab-leaf1',
    ovsDir: join(o.dir, 'ovs'),
    stateFile: join(o.dir, 'lab.json'),
  };
}
