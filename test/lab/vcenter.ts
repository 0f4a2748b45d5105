// The vCenter simulator as a lab daemon (test/peers/vcsim, built to .cache/vcsim): started
// detached with -stdin=false so it outlives `lab.ts up`, its first stdout line (URL,
// thumbprint, control endpoint, credentials) read from a file; and a client for the control
// endpoint's dump (the oracle) and relocate (a vMotion with its events).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureVcsimBinary, type RelocateResult, type VcsimDump, type VcsimSpec } from '../helpers/vcsim.js';
import { daemon, LabError, ourPid, stopPid, tail, waitFor } from './proc.js';

export interface VcsimInfo {
  url: string;
  thumbprint: string;
  control: string;
  username: string;
  password: string;
  buildMs: number;
}

const files = (dir: string) => ({
  spec: join(dir, 'vcsim-spec.json'),
  pid: join(dir, 'vcsim.pid'),
  out: join(dir, 'vcsim.out'),
  err: join(dir, 'vcsim.err'),
  log: join(dir, 'vcsim.log'),
});

export async function startVcenter(dir: string, spec: VcsimSpec): Promise<VcsimInfo> {
  const bin = ensureVcsimBinary();
  const f = files(dir);
  writeFileSync(f.spec, JSON.stringify(spec, null, 2) + '\n');
  const pid = daemon(bin, ['-spec', f.spec, '-log', f.log, '-stdin=false'], { pidFile: f.pid, out: f.out, err: f.err });
  return waitFor('the vCenter simulator to serve', 60_000, () => {
    const line = existsSync(f.out) ? readFileSync(f.out, 'utf8').split('\n')[0] : '';
    if (line) return JSON.parse(line) as VcsimInfo;
    if (ourPid(f.pid, f.spec) === null) throw new LabError(`the vCenter simulator (pid ${pid}) exited: ${tail(f.err, 5)}`);
    return null;
  });
}

export function stopVcenter(dir: string): Promise<boolean> {
  const f = files(dir);
  return stopPid(f.pid, f.spec);
}

export function vcenterRunning(dir: string): boolean {
  const f = files(dir);
  return ourPid(f.pid, f.spec) !== null;
}

async function call<T>(control: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(control + path, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new LabError(`vCenter simulator control ${path}: ${(e as Error).message} (is the lab up?)`);
  }
  const json = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new LabError(`vCenter simulator control ${path}: ${json.error ?? res.status}`);
  return json;
}

export const dump = (control: string): Promise<VcsimDump> => call(control, 'GET', '/dump');
export const relocate = (control: string, vm: string, host: string): Promise<RelocateResult> => call(control, 'POST', '/relocate', { vm, host });
