// Bad input at the CLI, as an operator meets it: one clear line each, the exit code of
// DESIGN §1, never a stack trace, nothing lost.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOvs, type Ovs } from '../helpers/ovs.js';
import { runCli, startAgent, tempDir, writeAgentConfig } from '../helpers/agent.js';

let ovs: Ovs;
let dir: string;

beforeAll(async () => {
  ovs = await startOvs({ ports: 2, vswitchd: false });
  dir = tempDir('vmt-cli-');
}, 60_000);
afterAll(async () => {
  await ovs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function oneLine(stderr: string): string {
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('vmtrace CLI on bad input', () => {
  it('--version and --help answer; an unknown command is a usage error (exit 1)', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^vmtrace \d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    expect(h.stdout).toMatch(/vmtrace plan --config FILE/);
    const u = await runCli(['frobnicate']);
    expect(u.code).toBe(1);
    expect(oneLine(u.stderr)).toMatch(/unknown command "frobnicate"/);
  });

  it('broken YAML: config check lists it with its line, agent refuses to start (exit 1)', async () => {
    const f = join(dir, 'broken.yaml');
    writeFileSync(f, 'switch: leaf1\nports:\n  include: ["swp*"\ndriver: { kind: ovsdb }\n');
    const check = await runCli(['config', 'check', f]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(new RegExp(`${f}:\\d+: \\(yaml\\):`));
    const agent = await runCli(['agent', '--config', f]);
    expect(agent.code).toBe(1);
    expect(agent.stderr).toMatch(/vmtrace: .*broken\.yaml:\d+: \(yaml\)/);
    expect(agent.stderr).not.toMatch(/\n\s+at /);
  });

  it('a config naming a missing OVS bridge: one line, exit 1', async () => {
    const d = join(dir, 'nobridge');
    mkdirSync(d);
    const cfg = writeAgentConfig(d, { endpoint: ovs.endpoint, bridge: 'br-nope', ports: { include: ['swp*'] } });
    const r = await runCli(['agent', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/br-nope/);
  });

  it('an unreachable ovsdb socket: one line, exit 2', async () => {
    const d = join(dir, 'nosock');
    mkdirSync(d);
    const cfg = writeAgentConfig(d, { endpoint: `unix:${join(d, 'missing.sock')}`, ports: { include: ['swp*'] } });
    const r = await runCli(['plan', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/missing\.sock/);
  });

  it('one agent per stateDir; SIGTERM while it waits for an unreachable switch stops it', async () => {
    const d = join(dir, 'lock');
    mkdirSync(d);
    const cfg = writeAgentConfig(d, { endpoint: `unix:${join(d, 'later.sock')}`, ports: { include: ['swp*'] } });
    const first = startAgent(cfg);
    await first.waitForLog(/switch unreachable; waiting for it/);
    const second = await runCli(['agent', '--config', cfg]);
    expect(second.code).toBe(1);
    expect(oneLine(second.stderr)).toMatch(/another vmtrace agent \(pid \d+\) uses stateDir/);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('plan shows the plan but exits 2 when a vCenter cannot be reached', async () => {
    const d = join(dir, 'novc');
    mkdirSync(d);
    const cfg = writeAgentConfig(d, {
      endpoint: ovs.endpoint,
      ports: { include: ['swp*'] },
      vcenters: [{ url: 'https://127.0.0.1:1/sdk', thumbprint: 'AB:'.repeat(31) + 'AB', username: 'u', password: 'p' }],
    });
    const r = await runCli(['plan', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^vmtrace plan: vCenter vc1 .*ECONNREFUSED \(removals frozen\)$/);
    expect(r.stdout).toMatch(/removals frozen \(rule 4\)/);
  });

  it('a corrupt database file: one line, exit 1, and the file is left as it was', async () => {
    const d = join(dir, 'corrupt');
    mkdirSync(join(d, 'state'), { recursive: true });
    const db = join(d, 'state', 'vmtrace.db');
    const garbage = Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 0xa5)]);
    writeFileSync(db, garbage);
    const cfg = writeAgentConfig(d, { endpoint: ovs.endpoint, ports: { include: ['swp*'] } });
    const r = await runCli(['agent', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/vmtrace\.db/);
    expect(readFileSync(db).equals(garbage)).toBe(true);
  });
});
