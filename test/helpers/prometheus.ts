// Debian's prometheus-snmp-generator and prometheus-snmp-exporter (0.21) as test peers: a MIB
// directory holding only what VMTRACE-MIB imports, our packaging generator config with a
// test community, and an exporter on a free loopback port.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { freeTcpPort, waitFor } from './show-net.js';
import { run } from './show-snmpd.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const GENERATOR_CONFIG = join(ROOT, 'packaging/snmp/generator.yml');

/**
 * A directory with VMTRACE-MIB and its imports only. Pointing MIBDIRS at the whole of
 * node_modules/net-snmp/lib/mibs makes net-snmp parse its RFC-1215.mib too, which reports 13
 * errors of its own (`snmp` undefined) that are no fault of ours.
 */
export function mibDir(dir: string): string {
  const out = join(dir, 'mibs');
  mkdirSync(out, { recursive: true });
  const files = [
    join(ROOT, 'shared/mib/VMTRACE-MIB.txt'),
    ...['SNMPv2-SMI', 'SNMPv2-TC', 'SNMPv2-CONF'].map((m) => join(ROOT, `node_modules/net-snmp/lib/mibs/${m}.mib`)),
    '/usr/share/snmp/mibs/NET-SNMP-MIB.txt',
  ];
  for (const f of files) symlinkSync(f, join(out, f.slice(f.lastIndexOf('/') + 1)));
  return out;
}

export interface V3Auth {
  username: string;
  password: string;
  priv_password: string;
}

/**
 * Our generator.yml with the agent's credentials in place of the placeholder: a community,
 * or the v3 block its comments describe (SHA256 + AES).
 */
export function generatorConfig(dir: string, auth: string | V3Auth): string {
  const doc = parse(readFileSync(GENERATOR_CONFIG, 'utf8')) as { modules: Record<string, { version?: number; auth?: Record<string, string> }> };
  const mod = doc.modules.vmtrace!;
  if (typeof auth === 'string') {
    mod.auth = { community: auth };
  } else {
    mod.version = 3;
    mod.auth = { ...auth, security_level: 'authPriv', auth_protocol: 'SHA256', priv_protocol: 'AES' };
  }
  const path = join(dir, 'generator.yml');
  writeFileSync(path, stringify(doc));
  return path;
}

export interface GeneratorRun {
  code: number;
  output: string;
  /** log lines at level warn or error, and NetSNMP parse complaints */
  warnings: string[];
  snmpYml: string;
}

/** Runs `prometheus-snmp-generator generate` in `dir` (it reads ./generator.yml). */
export async function generate(dir: string, mibs: string): Promise<GeneratorRun> {
  const snmpYml = join(dir, 'snmp.yml');
  const r = await runIn(dir, 'prometheus-snmp-generator', ['generate', '--fail-on-parse-errors', '-o', snmpYml], {
    ...process.env,
    MIBDIRS: mibs,
    MIBS: 'VMTRACE-MIB',
  });
  const output = r.stdout + r.stderr;
  const warnings = output.split('\n').filter((l) => /level=(warn|error)|Cannot find module|Unlinked OID|Undefined identifier/i.test(l));
  return { code: r.code, output, warnings, snmpYml };
}

function runIn(cwd: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => res({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => res({ code: code ?? 1, stdout, stderr }));
  });
}

export interface Exporter {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startExporter(configFile: string): Promise<Exporter> {
  const check = await run('prometheus-snmp-exporter', [`--config.file=${configFile}`, '--dry-run']);
  if (check.code !== 0) throw new Error(`exporter refuses the config: ${check.stdout}${check.stderr}`);
  const port = await freeTcpPort();
  let log = '';
  const child: ChildProcess = spawn('prometheus-snmp-exporter', [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`exporter exited: ${log}`);
      return fetch(`${url}/`).then((r) => r.ok, () => false);
    }, 15_000, 'the exporter to listen');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, log: () => log, stop };
}

/** Accessible (read-only) objects of VMTRACE-MIB by name, from the MIB text itself. */
export function readableObjects(): { name: string; syntax: string }[] {
  const mib = readFileSync(join(ROOT, 'shared/mib/VMTRACE-MIB.txt'), 'utf8');
  const out: { name: string; syntax: string }[] = [];
  for (const m of mib.matchAll(/^(\w+)\s+OBJECT-TYPE\s+SYNTAX\s+([^\n]+)[\s\S]*?MAX-ACCESS\s+([\w-]+)/gm)) {
    if (m[3] === 'read-only') out.push({ name: m[1]!, syntax: m[2]!.trim() });
  }
  return out;
}
