// kill -9 durability: a child commits ledger rows in a loop and prints each sequence number
// after commit() resolves; we SIGKILL it at a random moment (sometimes while it is still
// opening/migrating), reopen, and require every printed number present and integrity_check ok.
// One database across all rounds, so each round is also a restart after a crash.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../agent/store/index.js';
import { silentLogger } from '../../agent/log.js';

const CHILD = fileURLToPath(new URL('./store-crash-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = 20;
const logger = silentLogger();

let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmtrace-store-crash-'));
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

interface Round {
  printed: number[];
  ready: boolean;
  stderr: string;
  signal: NodeJS.Signals | null;
}

/** Runs the child, kills it -9 `killAfterMs` after it says "opening" (Store.open starts) or "ready". */
function crashRound(path: string, firstSeq: number, killAfterMs: number, at: 'opening' | 'ready'): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(firstSeq)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const round: Round = { printed: [], ready: false, stderr: '', signal: null };
    let buf = '';
    const kill = (): void => {
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'opening' && at === 'opening') kill();
        else if (line === 'ready') {
          round.ready = true;
          if (at === 'ready') kill();
        } else if (/^\d+$/.test(line)) round.printed.push(Number(line));
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (round.stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      children.delete(child);
      round.signal = signal;
      resolve(round);
    });
  });
}

/** Rounds against one database: each round is a crash and then a restart of the same file. */
async function lane(path: string, rounds: number, firstRound: number): Promise<{ acknowledged: number; midStream: number }> {
  const acknowledged: number[] = [];
  let midStream = 0;
  for (let r = 0; r < rounds; r++) {
    // a quarter of the rounds die during startup (open, integrity check, migration); round 0
    // dies while creating and migrating a fresh file
    const early = r % 4 === 0;
    const round = await crashRound(path, (firstRound + r + 1) * 1_000_000, early ? Math.random() * 40 : 20 + Math.random() * 280, early ? 'opening' : 'ready');
    expect(round.signal, round.stderr).toBe('SIGKILL');
    if (round.ready && round.printed.length > 0) midStream++;
    acknowledged.push(...round.printed);

    const s = await Store.open(path, { logger, journalCap: 5_000 });
    try {
      expect(await s.integrityCheck()).toBe('ok');
      const ledger = await s.loadLedger();
      const missing = acknowledged.filter((n) => !ledger.has(`seq-${n}`));
      expect(missing, `round ${firstRound + r}: acknowledged commits lost`).toEqual([]);
      for (const n of round.printed.slice(-5)) {
        expect(ledger.get(`seq-${n}`)).toEqual({ port: `seq-${n}`, firstSeenAt: n, initialVlans: [1], owned: [(n % 4000) + 2], unneededSince: { [(n % 4000) + 2]: n } });
      }
      // the journal entries went in the same transactions
      const journal = new Set((await s.recentJournal(5_000)).map((e) => e.message));
      for (const n of round.printed.slice(-20)) expect(journal.has(`seq ${n}`)).toBe(true);
    } finally {
      await s.close();
    }
  }
  return { acknowledged: acknowledged.length, midStream };
}

describe('store: kill -9 durability', () => {
  it(`keeps every commit that resolved, across ${ROUNDS} kill -9 rounds`, async () => {
    // two databases side by side halve the wall time (child start-up dominates)
    const half = ROUNDS / 2;
    const lanes = await Promise.all([lane(join(dir, 'a.db'), half, 0), lane(join(dir, 'b.db'), half, half)]);
    const acknowledged = lanes.reduce((n, l) => n + l.acknowledged, 0);
    const midStream = lanes.reduce((n, l) => n + l.midStream, 0);
    // the test only means something if the children really committed and really died mid-stream
    expect(acknowledged).toBeGreaterThan(ROUNDS * 5);
    expect(midStream).toBeGreaterThanOrEqual(ROUNDS / 4);
  }, 120_000);
});
