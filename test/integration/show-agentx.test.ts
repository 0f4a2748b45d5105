// `vmtrace show` through the switch's own snmpd: our agent as an AgentX subagent of a real
// snmpd master, read with snmpd's community. The same JSON as from the standalone agent.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showCommand, type ShowWhat } from '../../agent/cli/show.js';
import { silentLogger } from '../../agent/log.js';
import { startSnmp, type SnmpHandle } from '../../agent/snmp/index.js';
import { startSnmpd, type SnmpdPeer } from '../helpers/show-snmpd.js';
import { sampleStatus, viewOf } from '../helpers/show-view.js';

class Sink {
  text = '';
  write(chunk: string | Uint8Array): boolean {
    this.text += chunk.toString();
    return true;
  }
}

const data = sampleStatus();
let dir: string;
let snmpd: SnmpdPeer | undefined;
let sub: SnmpHandle | undefined;
let communityFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'show-agentx-'));
  chmodSync(dir, 0o755);
  const socket = join(dir, 'agentx.sock');
  snmpd = await startSnmpd({ rows: [], agentxSocket: socket });
  sub = await startSnmp({ agentx: `unix:${socket}`, communities: [], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
  await sub.agentxReady();
  communityFile = join(dir, 'community');
  writeFileSync(communityFile, `${snmpd.community}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await sub?.stop();
  await snmpd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function json(what: ShowWhat): Promise<unknown> {
  const out = new Sink();
  const err = new Sink();
  const code = await showCommand(
    what,
    { agent: `127.0.0.1:${snmpd!.port}`, json: true, communityFile, env: {}, err: err as unknown as NodeJS.WritableStream },
    out as unknown as NodeJS.WritableStream,
  );
  expect(err.text).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out.text);
}

describe('vmtrace show through snmpd (AgentX)', () => {
  it.each([
    ['ports', { ports: data.ports }],
    ['neighbors', { neighbors: data.neighbors }],
    ['vms', { vms: data.vms, vnics: data.vnics }],
    ['vtep', { vteps: data.vteps }],
    ['events', { events: data.events }],
  ] as const)('%s round-trips', async (what, want) => {
    expect(await json(what)).toEqual({ agent: `127.0.0.1:${snmpd!.port}`, ...want });
  });

  it('summary round-trips', async () => {
    const got = (await json('summary')) as { summary: typeof data.summary };
    expect({ ...got.summary, counters: { ...got.summary.counters, snmpBadPackets: 0 } }).toEqual(data.summary);
  });
});
