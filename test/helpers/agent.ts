// Runs `vmtrace` as an operator would: a config file on disk, the CLI in a child process
// (TypeScript sources through tsx, so tests need no build), logs captured for assertions.
//
//   const dir = tempDir('vmt-e2e-');
//   const config = writeAgentConfig(dir, { switch: 'leaf1', ovs, vcenters: [vc], ports: {...} });
//   const agent = startAgent(config);
//   await agent.waitForLog(/vmtrace agent starting/);
//   agent.kill('SIGKILL'); await agent.exited;
//   const r = await runCli(['config', 'check', config]);   // { code, stdout, stderr }

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from './vcsim.js';

export const CLI = join(REPO_ROOT, 'agent/cli/vmtrace.ts');
const TSX = join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface VcenterRef {
  name?: string;
  url: string;
  thumbprint: string;
  username: string;
  password: string;
}

export function writeAgentConfig(
  dir: string,
  opts: {
    switch?: string;
    endpoint: string;
    bridge?: string;
    vcenters?: VcenterRef[];
    ports: Record<string, unknown>;
    extra?: Record<string, unknown>;
  },
): string {
  const vcenters = (opts.vcenters ?? []).map((v, i) => {
    const name = v.name ?? `vc${i + 1}`;
    const pw = join(dir, `${name}.secret`);
    writeFileSync(pw, v.password + '\n', { mode: 0o600 });
    chmodSync(pw, 0o600);
    return { name, url: v.url, username: v.username, passwordFile: pw, thumbprint: v.thumbprint };
  });
  const cfg = {
    switch: opts.switch ?? 'leaf1',
    stateDir: join(dir, 'state'),
    vcenters,
    ports: opts.ports,
    driver: { kind: 'ovsdb', endpoint: opts.endpoint, bridge: opts.bridge ?? 'br0' },
    log: { level: 'debug' },
    ...opts.extra,
  };
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, stringify(cfg));
  return file;
}

export interface AgentProcess {
  proc: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

export function startAgent(config: string, env: NodeJS.ProcessEnv = {}): AgentProcess {
  const proc = spawn(process.execPath, ['--import', TSX, CLI, 'agent', '--config', config], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onLine = (line: string) => {
    logs.push(line);
    for (const w of [...waiters]) {
      if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  for (const s of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    logs,
    exited,
    waitForLog(re, timeoutMs = 30_000) {
      const hit = logs.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no log line ${re} within ${timeoutMs} ms; last lines:\n${logs.slice(-15).join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
    kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
  };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return { code, stdout, stderr };
}

/** Polls `fn` until it returns true (or throws on timeout with the last value described). */
export async function until(fn: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
