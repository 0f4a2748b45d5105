// `vmtrace show` against the real standalone agent serving a state view of plain data: every
// subcommand's JSON round-trips what the view holds, tables are aligned, v3 authPriv works,
// wrong keys are a user error, and an agent that is down is exit 2 with one line.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showCommand, showMain, type ShowOptions, type ShowWhat } from '../../agent/cli/show.js';
import { startAgent, type RunningAgent } from '../helpers/show-agent.js';
import { freeUdpPort } from '../helpers/show-net.js';
import { sampleStatus, viewOf } from '../helpers/show-view.js';

class Sink {
  text = '';
  write(chunk: string | Uint8Array): boolean {
    this.text += chunk.toString();
    return true;
  }
}

const data = sampleStatus();
let agent: RunningAgent;
let dir: string;
let communityFile: string;

function secret(name: string, value: string): string {
  const p = join(dir, name);
  writeFileSync(p, `${value}\n`);
  chmodSync(p, 0o600);
  return p;
}

async function show(what: ShowWhat, opts: Partial<ShowOptions> = {}): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const code = await showCommand(
    what,
    { agent: agent.address, json: false, communityFile, env: {}, err: err as unknown as NodeJS.WritableStream, now: () => data.summary.startedAt + 7_200_000, ...opts },
    out as unknown as NodeJS.WritableStream,
  );
  return { code, out: out.text, err: err.text };
}

async function json(what: ShowWhat, opts: Partial<ShowOptions> = {}): Promise<Record<string, unknown>> {
  const r = await show(what, { ...opts, json: true });
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out.endsWith('\n') && !r.out.trimEnd().includes('\n')).toBe(true);
  return JSON.parse(r.out) as Record<string, unknown>;
}

/**
 * Every column is aligned: taking each header's span [start, end), either every row's cell
 * starts at `start` (left-aligned) or every row's cell ends at `end` (right-aligned), with a
 * blank on the other side.
 */
function expectAligned(table: string): void {
  const lines = table.trimEnd().split('\n');
  const header = lines[0]!;
  const spans = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, name: m[0] }));
  expect(spans.length).toBeGreaterThan(2);
  const rows = lines.slice(1);
  const at = (line: string, i: number): string => line[i] ?? ' ';
  for (const { start, end, name } of spans) {
    const left = rows.every((l) => at(l, start) !== ' ' && at(l, start - 1) === ' ');
    const right = rows.every((l) => at(l, end - 1) !== ' ' && at(l, end) === ' ');
    expect(left || right, `column ${name} is ragged:\n${table}`).toBe(true);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'show-agent-'));
  agent = await startAgent(viewOf(data));
  communityFile = secret('community', agent.community);
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('vmtrace show --json round-trips the view', () => {
  it('summary', async () => {
    const got = (await json('summary')) as { agent: string; summary: typeof data.summary };
    expect(got.agent).toBe(agent.address);
    const { snmpBadPackets, ...counters } = got.summary.counters;
    const { snmpBadPackets: _ours, ...wantCounters } = data.summary.counters;
    expect({ ...got.summary, counters }).toEqual({ ...data.summary, counters: wantCounters });
    expect(typeof snmpBadPackets).toBe('number');
  });

  it('ports', async () => {
    expect(await json('ports')).toEqual({ agent: agent.address, ports: data.ports });
  });

  it('neighbors', async () => {
    expect(await json('neighbors')).toEqual({ agent: agent.address, neighbors: data.neighbors });
  });

  it('vms (with their vNICs)', async () => {
    expect(await json('vms')).toEqual({ agent: agent.address, vms: data.vms, vnics: data.vnics });
  });

  it('vtep', async () => {
    expect(await json('vtep')).toEqual({ agent: agent.address, vteps: data.vteps });
  });

  it('events', async () => {
    expect(await json('events')).toEqual({ agent: agent.address, events: data.events });
  });

  it('the same over SNMPv3 authPriv with keys from files', async () => {
    const v3 = { user: agent.v3.user, authKeyFile: secret('auth', agent.v3.authKey), privKeyFile: secret('priv', agent.v3.privKey) };
    const opts = { communityFile: undefined, v3 } as Partial<ShowOptions>;
    expect(await json('ports', opts)).toEqual({ agent: agent.address, ports: data.ports });
    expect(await json('vms', opts)).toEqual({ agent: agent.address, vms: data.vms, vnics: data.vnics });
  });
});

describe('AgentReader.snapshot (the TUI poll)', () => {
  it('reads every table at once, equal to the view', async () => {
    const { AgentReader } = await import('../../shared/snmp/reader.js');
    const { parseAgentTarget } = await import('../../shared/snmp/target.js');
    const reader = new AgentReader(parseAgentTarget(agent.address), { version: '2c', community: agent.community });
    try {
      const snap = await reader.snapshot();
      expect({ ...snap, summary: { ...snap.summary, counters: { ...snap.summary.counters, snmpBadPackets: 0 } } }).toEqual(data);
    } finally {
      reader.close();
    }
  });
});

describe('vmtrace show for people', () => {
  it.each(['ports', 'neighbors', 'vtep', 'events'] as const)('%s is one aligned table, a row per entry', async (what) => {
    const r = await show(what);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const rows = { ports: data.ports, neighbors: data.neighbors, vtep: data.vteps, events: data.events }[what];
    expect(r.out.trimEnd().split('\n')).toHaveLength(rows.length + 1);
    expectAligned(r.out);
  });

  it('ports print VLAN sets as ranges', async () => {
    const lines = (await show('ports')).out.split('\n');
    const swp3 = lines.find((l) => /^\s*3  swp3 /.test(l))!;
    expect(swp3).toContain(' 1,110,120,200-220 ');
    expect(swp3).toContain(' 110,120,130,200-220 ');
    expect(swp3).toContain('esx-01.lab vmnic0 (lldp)');
    expect(swp3).toMatch(/ maxVlans 23 reached$/);
    expect(lines.find((l) => l.includes('Ethernet49/1'))).toContain(' 1-4094 ');
  });

  it('vms prints a VM table and a vNIC table, both aligned', async () => {
    const r = await show('vms');
    const [vms, vnics] = r.out.split('\n\n');
    expect(vms!.split('\n')).toHaveLength(data.vms.length + 1);
    expect(vnics!.trimEnd().split('\n')).toHaveLength(data.vnics.length + 1);
    expectAligned(vms!);
    expectAligned(vnics!);
    expect(vms).toContain('db-01 (ünïcode)');
  });

  it('summary prints times for people', async () => {
    const r = await show('summary');
    expect(r.code).toBe(0);
    expect(r.out).toContain('started         2026-11-25 02:00:00Z (2h 0m ago)');
    expect(r.out).toContain('state           FROZEN: vCenter vc2 disconnected');
    expect(r.out).toMatch(/^vc1 +synced +2026-11-25 02:01:05Z \(1h 58m ago\) +-$/m);
    expect(r.out).toMatch(/^vc2 +disconnected +never +connect ECONNREFUSED 192\.0\.2\.9:443$/m);
  });
});

describe('vmtrace show failures', () => {
  it('agent down: exit 2, one line on stderr, nothing on stdout', async () => {
    const port = await freeUdpPort();
    const r = await show('summary', { agent: `127.0.0.1:${port}`, timeoutMs: 300, retries: 1 });
    expect(r).toEqual({
      code: 2,
      out: '',
      err: `vmtrace show: no answer from agent 127.0.0.1:${port} within 0.6 s (agent down, wrong address, or wrong community)\n`,
    });
  });

  it('wrong v3 auth key: exit 1 (the operator must fix it), one line', async () => {
    const v3 = { user: agent.v3.user, authKeyFile: secret('bad-auth', 'not-the-auth-key'), privKeyFile: secret('priv2', agent.v3.privKey) };
    const r = await show('ports', { communityFile: undefined, v3, timeoutMs: 500, retries: 0 });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/refused our SNMPv3 credentials/);
  });

  it('showMain reads the community from VMTRACE_SNMP_COMMUNITY', async () => {
    const out = new Sink();
    const err = new Sink();
    const code = await showMain(['vtep', '--json', '--agent', agent.address], out as unknown as NodeJS.WritableStream, err as unknown as NodeJS.WritableStream, {
      VMTRACE_SNMP_COMMUNITY: agent.community,
    });
    expect(err.text).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out.text)).toEqual({ agent: agent.address, vteps: data.vteps });
  });
});

describe('vmtrace show over IPv6', () => {
  it('reads an agent on [::1]', async () => {
    const v6 = await startAgent(viewOf(data), '::1');
    try {
      const file = secret('v6-community', v6.community);
      expect(await json('vtep', { agent: v6.address, communityFile: file })).toEqual({ agent: v6.address, vteps: data.vteps });
    } finally {
      await v6.stop();
    }
  });
});

describe('vmtrace show on a big switch', () => {
  it('reads 300 ports (six 512-octet bitmaps each) and 5,000 vNICs exactly, in many GETBULK rounds', async () => {
    const big = sampleStatus();
    big.ports = Array.from({ length: 300 }, (_, i) => ({
      ...data.ports[0]!,
      ifIndex: 1001 + i * 3,
      name: `Ethernet${i + 1}`,
      vlans: [1, 100 + (i % 3000), 2000 + (i % 50)],
      dynamicVlans: [100 + (i % 3000)],
      ownedVlans: [100 + (i % 3000)],
      missingVlans: i % 7 === 0 ? [3999] : [],
      surplusVlans: [],
      state: i % 7 === 0 ? 'limit' : 'ok',
      reason: i % 7 === 0 ? 'maxVlans reached' : null,
    }));
    big.vnics = Array.from({ length: 5000 }, (_, i) => ({
      index: i + 1,
      vmIndex: (i % 3) + 1,
      vmName: `vm-${i}`,
      mac: `00:50:56:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      portgroup: `pg-${i % 40}`,
      vlan: i % 10 === 0 ? null : 100 + (i % 40),
      vni: i % 5 === 0 ? 5000 + i : null,
      ifIndex: i % 4 === 0 ? null : 1001 + (i % 300) * 3,
    }));
    const bigAgent = await startAgent(viewOf(big));
    try {
      const file = secret('big-community', bigAgent.community);
      const ports = await json('ports', { agent: bigAgent.address, communityFile: file });
      expect(ports).toEqual({ agent: bigAgent.address, ports: big.ports });
      const vms = await json('vms', { agent: bigAgent.address, communityFile: file });
      expect(vms).toEqual({ agent: bigAgent.address, vms: big.vms, vnics: big.vnics });
    } finally {
      await bigAgent.stop();
    }
  });
});
