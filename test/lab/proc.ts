// Processes for the lab: commands run to completion, daemons left running after `lab.ts up`
// exits (detached, output to files, a pidfile each), and killing only what a pidfile names
// when the process there is still the one we started (pids are recycled).

import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

export class LabError extends Error {}

export function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, timeout: 60_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new LabError(`${cmd} ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

/** For cleanup: what is already gone is fine. */
export function trySh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): boolean {
  try {
    sh(cmd, args, env);
    return true;
  } catch {
    return false;
  }
}

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: env ?? process.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 1 && !stderr ? err.message : '') });
    });
  });
}

/** Starts a daemon that outlives us: own session, stdout/stderr to files, pid to pidFile. */
export function daemon(cmd: string, args: string[], o: { pidFile: string; out: string; err?: string; env?: NodeJS.ProcessEnv; cwd?: string }): number {
  const out = openSync(o.out, 'a', 0o600);
  const err = o.err ? openSync(o.err, 'a', 0o600) : out;
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, err], env: o.env ?? process.env, cwd: o.cwd });
    child.unref();
    if (!child.pid) throw new LabError(`cannot start ${cmd}`);
    writeFileSync(o.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
    if (err !== out) closeSync(err);
  }
}

export function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

/** Running, that is: a zombie waiting for a reaper (our daemons' parent is gone) counts as dead. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The lab's daemons as their command lines show them (lldpd rewrites its own: namespaces find it). */
const LAB_DAEMONS = [/\/\.cache\/vcsim /, /vmtrace\.(js|ts) agent --config /, /^ovsdb-server /, /^ovs-vswitchd /];

/**
 * The lab's daemons whose command line names a path under `dir` (config, spec, pidfile): what a
 * crashed lab left running after its pidfiles were lost. Never a process by program name alone,
 * never anything else under the dir (an operator's `tail -f agent.log`).
 */
export function pidsUsing(dir: string): number[] {
  const needle = dir.endsWith('/') ? dir : `${dir}/`;
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid || pid === process.ppid) continue;
    const cmd = cmdline(pid);
    if (cmd.includes(needle) && LAB_DAEMONS.some((re) => re.test(cmd.replace(/^\S*\/(ovsdb-server|ovs-vswitchd) /, '$1 ')))) out.push(pid);
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The pid in pidFile if that process runs and its command line contains `marker`. */
export function ourPid(pidFile: string, marker: string): number | null {
  const pid = readPid(pidFile);
  return pid !== null && alive(pid) && cmdline(pid).includes(marker) ? pid : null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after graceMs; only the process pidFile names, if it is ours. */
export async function stopPid(pidFile: string, marker: string, graceMs = 5000): Promise<boolean> {
  const pid = ourPid(pidFile, marker);
  if (pid === null) return false;
  try {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    while (alive(pid)) await sleep(20);
  }
  return true;
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | false> | T | null | false, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== false) return v;
    if (Date.now() > until) throw new LabError(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function tail(file: string, lines: number): string {
  if (!existsSync(file)) return `(no ${file})`;
  const all = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  return all.slice(-lines).join('\n');
}

/** Pids of ovs-vswitchd processes in our network namespace (any Open vSwitch, not only the lab's). */
export function vswitchdsHere(): number[] {
  let ours: string;
  try {
    ours = readlinkSync('/proc/self/ns/net');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ovs-vswitchd' && readlinkSync(`/proc/${pid}/ns/net`) === ours && alive(pid)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export function netnsList(): string[] {
  try {
    return sh('ip', ['netns', 'list'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}
