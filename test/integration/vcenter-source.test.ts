// The vCenter source against the real govmomi simulator (test/peers/vcsim through
// test/helpers/vcsim.ts), delivering into a real FactBook: first sync equals the launcher's own
// dump; relocate, power, create, destroy and VLAN changes arrive within 1 s; a migration start is
// delivered before the host changes; crash/restart, frozen vCenter, forced reconnects, bad
// credentials/thumbprint/URL, and two vCenters at once.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactBook, type FactChange, type Inventory } from '../../agent/core/facts.js';
import type { Logger } from '../../agent/log.js';
import { checkVcenter, startVcenterSource, type VcenterConfig, type VcenterSource, type VcenterTimeouts } from '../../agent/sources/vcenter/index.js';
import type { HostFact, JournalEntry, NetworkFact, VlanSpec, VmFact } from '../../shared/model.js';
import { VmtraceError } from '../../shared/errors.js';
import { startVcsim, type Vcsim, type VcsimDump, type VcsimSpec } from '../helpers/vcsim.js';

const FAST: Partial<VcenterTimeouts> = {
  callMs: 1500,
  syncMs: 15_000,
  waitSeconds: 1,
  waitSlackMs: 700,
  keepaliveMs: 5000,
  backoffMinMs: 50,
  backoffMaxMs: 300,
};

const SPEC: VcsimSpec = {
  hostCount: 3,
  hosts: [{ name: 'esx-special.lab', portgroups: [{ name: 'web', vlan: 101 }] }],
  portgroups: [{ name: 'web', vlan: 100 }],
  switches: [
    {
      name: 'DSwitch',
      portgroups: [
        { name: 'dv-app', vlan: 300 },
        { name: 'dv-trunk', trunk: [[400, 410], [420, 420]] },
        { name: 'dv-pv', pvlan: { primary: 600, secondary: 601 } },
      ],
    },
  ],
  vtep: { portgroup: 'dv-app' },
  vms: [
    { name: 'app1', host: 'esx-02.lab', nics: [{ network: 'web' }, { network: 'dv-app' }] },
    { name: 'db1', host: 'esx-03.lab', nics: [{ network: 'dv-trunk' }], powerOn: false },
    { name: 'pv1', host: 'esx-special.lab', nics: [{ network: 'dv-pv' }, { network: 'web', connected: false }] },
  ],
  vmCount: 12,
};

const dir = mkdtempSync(join(tmpdir(), 'vmt-vc-'));
let vc: Vcsim;
const running: VcenterSource[] = [];

function secret(name: string, value: string): string {
  const f = join(dir, name);
  writeFileSync(f, `${value}\n`, { mode: 0o600 });
  return f;
}

function configFor(sim: Vcsim, name: string, over: Partial<VcenterConfig> = {}): VcenterConfig {
  return { name, url: sim.url, username: sim.username, passwordFile: secret(`${name}.pw`, sim.password), thumbprint: sim.thumbprint, ...over };
}

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

interface Watch {
  book: FactBook;
  journal: JournalEntry[];
  changes: Array<{ at: number; c: FactChange }>;
  src: VcenterSource;
  lines: Array<{ level: number; msg: string }>;
}

function watch(cfg: VcenterConfig, book?: FactBook, timeouts: Partial<VcenterTimeouts> = FAST): Watch {
  const journal: JournalEntry[] = [];
  const changes: Watch['changes'] = [];
  const b = book ?? new FactBook((c) => changes.push({ at: Date.now(), c }), (e) => journal.push(e));
  const { logger, lines } = capturingLogger();
  const src = startVcenterSource(cfg, b, logger, { timeouts });
  running.push(src);
  return { book: b, journal, changes, src, lines };
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function vmByName(book: FactBook, vcenter: string, name: string): VmFact | undefined {
  for (const v of book.vms.values()) if (v.vcenter === vcenter && v.name === name) return v;
  return undefined;
}

function hostByName(book: FactBook, vcenter: string, name: string): HostFact | undefined {
  for (const h of book.hosts.values()) if (h.vcenter === vcenter && h.name === name) return h;
  return undefined;
}

function netByName(book: FactBook, vcenter: string, name: string): NetworkFact | undefined {
  for (const n of book.networks.values()) if (n.vcenter === vcenter && n.name === name) return n;
  return undefined;
}

/** The launcher's oracle in our fact shapes (keys `${vcenter}/${moid}`). */
function expectedFacts(vcenter: string, d: VcsimDump): Inventory {
  const k = (moid: string) => `${vcenter}/${moid}`;
  const dvKeys = new Set(d.networks.filter((n) => n.kind === 'distributed').map((n) => n.moid));
  return {
    hosts: d.hosts.map((h) => ({
      key: k(h.moid),
      vcenter,
      moid: h.moid,
      name: h.name,
      pnics: h.pnics.map((p) => ({ device: p.device, mac: p.mac.toLowerCase() })),
      portgroups: h.portgroups.map((p) => ({ name: p.name, vlan: p.vlan as VlanSpec, uplinks: p.uplinks })),
      dvs: h.dvs,
      vmknics: h.vmknics.map((v) => ({ ...v, portgroup: dvKeys.has(v.portgroup) ? k(v.portgroup) : v.portgroup, mac: v.mac?.toLowerCase() ?? null })),
      connectionState: 'connected',
    })),
    networks: d.networks.map((n) => {
      const f: NetworkFact = { key: k(n.moid), vcenter, moid: n.moid, name: n.name, kind: n.kind, vlan: n.vlan as VlanSpec | null, dvs: n.dvs };
      if (n.kind === 'distributed') f.uplink = n.uplink;
      return f;
    }),
    vms: d.vms.map((v) => ({
      key: k(v.moid),
      vcenter,
      moid: v.moid,
      name: v.name,
      uuid: v.uuid,
      powerState: v.powerState,
      template: v.template,
      host: v.host ? k(v.host) : null,
      vnics: v.vnics.map((n) => ({ key: n.key, mac: n.mac.toLowerCase(), network: n.network ? k(n.network) : null, connected: n.connected })),
    })),
  };
}

function factsOf(book: FactBook, vcenter: string): Inventory {
  const byKey = <T extends { key: string }>(xs: Iterable<T>) => [...xs].filter((x) => x.key.startsWith(`${vcenter}/`)).sort((a, b) => a.key.localeCompare(b.key));
  return { hosts: byKey(book.hosts.values()), networks: byKey(book.networks.values()), vms: byKey(book.vms.values()) };
}

function sorted(inv: Inventory): Inventory {
  const s = <T extends { key: string }>(xs: T[]) => [...xs].sort((a, b) => a.key.localeCompare(b.key));
  return { hosts: s(inv.hosts), networks: s(inv.networks), vms: s(inv.vms) };
}

/** The certificate the simulator presents, as PEM (what an operator would put in caFile). */
function peerCertPem(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()!.toString());
      s.destroy();
    });
    s.once('error', reject);
  });
}

beforeAll(async () => {
  vc = await startVcsim(SPEC);
});

afterAll(async () => {
  for (const s of running) await s.stop().catch(() => {});
  await vc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('vCenter source against the simulator', () => {
  it('first sync equals the launcher\'s own inventory dump', async () => {
    const w = watch(configFor(vc, 'vc1'));
    await waitFor('synced', () => w.src.status().state === 'synced');
    const want = sorted(expectedFacts('vc1', await vc.control.dump()));
    expect(factsOf(w.book, 'vc1')).toEqual(want);
    // the interesting shapes are really there
    expect(want.hosts.length).toBe(4);
    expect(want.vms.length).toBe(15);
    expect(hostByName(w.book, 'vc1', 'esx-special.lab')!.portgroups.find((p) => p.name === 'web')!.vlan).toEqual({ kind: 'vlan', vlan: 101 });
    expect(hostByName(w.book, 'vc1', 'esx-02.lab')!.portgroups.find((p) => p.name === 'web')!.vlan).toEqual({ kind: 'vlan', vlan: 100 });
    expect(netByName(w.book, 'vc1', 'dv-trunk')!.vlan).toEqual({ kind: 'trunk', ranges: [{ from: 400, to: 410 }, { from: 420, to: 420 }] });
    expect(netByName(w.book, 'vc1', 'dv-pv')!.vlan).toEqual({ kind: 'pvlan', primary: 600, secondary: 601 });
    expect([...w.book.networks.values()].some((n) => n.uplink === true)).toBe(true);
    expect(vmByName(w.book, 'vc1', 'db1')!.powerState).toBe('poweredOff');
    expect(w.src.status()).toMatchObject({ name: 'vc1', state: 'synced', error: null });
    expect(w.book.sources.get('vc1')!.state).toBe('synced');
    // the read-only one-shot sees the same
    const c = await checkVcenter(configFor(vc, 'vc1'), { timeouts: FAST });
    expect(sorted(c.inventory)).toEqual(want);
    await w.src.stop();
    expect(w.src.status().state).toBe('disconnected');
    expect((await vc.control.sessions()).byUser[vc.username] ?? 0).toBe(0);
  });

  it('relocate, power off/on, create, destroy, VLAN change and a new vNIC each arrive within 1 s', async () => {
    const w = watch(configFor(vc, 'vc1'));
    await waitFor('synced', () => w.src.status().state === 'synced');
    const within = async (what: string, act: () => Promise<unknown>, check: () => unknown) => {
      const t0 = Date.now();
      await act();
      await waitFor(what, check, 5000);
      const ms = Date.now() - t0;
      expect(ms, `${what} took ${ms} ms`).toBeLessThan(1000);
    };
    const dest = hostByName(w.book, 'vc1', 'esx-04.lab')!;
    await within('relocate', () => vc.control.relocate('app1', 'esx-04.lab'), () => vmByName(w.book, 'vc1', 'app1')!.host === dest.key);
    await within('power off', () => vc.control.power('app1', false), () => vmByName(w.book, 'vc1', 'app1')!.powerState === 'poweredOff');
    await within('power on', () => vc.control.power('app1', true), () => vmByName(w.book, 'vc1', 'app1')!.powerState === 'poweredOn');
    await within('create', () => vc.control.createVm({ name: 'new1', host: 'esx-03.lab', nics: [{ network: 'dv-app' }] }), () => {
      const v = vmByName(w.book, 'vc1', 'new1');
      return v && v.vnics.length === 1 && v.vnics[0]!.network === netByName(w.book, 'vc1', 'dv-app')!.key && v.powerState === 'poweredOn';
    });
    const newKey = vmByName(w.book, 'vc1', 'new1')!.key;
    await within('destroy', () => vc.control.destroyVm('new1'), () => !w.book.vms.has(newKey));
    await within('standard VLAN change on one host', () => vc.control.setVlan({ portgroup: 'web', hosts: ['esx-04.lab'], vlan: 150 }), () =>
      hostByName(w.book, 'vc1', 'esx-04.lab')!.portgroups.find((p) => p.name === 'web')?.vlan.kind === 'vlan' &&
      (hostByName(w.book, 'vc1', 'esx-04.lab')!.portgroups.find((p) => p.name === 'web')!.vlan as { vlan: number }).vlan === 150);
    // the same portgroup on another host keeps its own VLAN
    expect(hostByName(w.book, 'vc1', 'esx-02.lab')!.portgroups.find((p) => p.name === 'web')!.vlan).toEqual({ kind: 'vlan', vlan: 100 });
    await within('distributed VLAN change', () => vc.control.setVlan({ portgroup: 'dv-app', trunk: [[1, 5]] }), () =>
      JSON.stringify(netByName(w.book, 'vc1', 'dv-app')!.vlan) === JSON.stringify({ kind: 'trunk', ranges: [{ from: 1, to: 5 }] }));
    await within('vNIC added', () => vc.control.addVnic('db1', { network: 'dv-pv' }), () => vmByName(w.book, 'vc1', 'db1')!.vnics.length === 2);
    // and everything still equals the oracle
    expect(factsOf(w.book, 'vc1')).toEqual(sorted(expectedFacts('vc1', await vc.control.dump())));
    // events were journaled as hints
    await waitFor('power event journaled', () => w.journal.some((j) => j.kind === 'vm-event' && /VmPoweredOffEvent app1/.test(j.message)));
    await w.src.stop();
  });

  it('a migration start event reaches the sink before the VM\'s host changes (make before break)', async () => {
    const w = watch(configFor(vc, 'vc1'));
    await waitFor('synced', () => w.src.status().state === 'synced');
    const vm = vmByName(w.book, 'vc1', 'app1')!;
    const from = vm.host;
    const dest = hostByName(w.book, 'vc1', 'esx-special.lab')!;
    expect(from).not.toBe(dest.key);
    await vc.control.relocate('app1', 'esx-special.lab', { startOnly: true, delayMs: 1500 });
    const m = await waitFor('migration started', () => w.book.migrations.get(vm.key), 3000);
    expect(m.destHost).toBe(dest.key);
    // planned while the VM is still on the source host
    expect(w.book.vms.get(vm.key)!.host).toBe(from);
    const migratedAt = Date.now();
    await waitFor('host changed', () => w.book.vms.get(vm.key)!.host === dest.key, 5000);
    expect(Date.now() - migratedAt).toBeGreaterThan(500);
    // arrival ends the migration; the events are in the journal
    expect(w.book.migrations.has(vm.key)).toBe(false);
    await waitFor('migrated event journaled', () => w.journal.some((j) => /VmMigratedEvent app1/.test(j.message)));
    expect(w.journal.some((j) => /VmBeingHotMigratedEvent app1/.test(j.message))).toBe(true);
    await w.src.stop();
  });

  it('wrong thumbprint, wrong password, unknown URL: one clear error each', async () => {
    const wrongTp = 'AB:'.repeat(31) + 'AB';
    const cases: Array<{ cfg: VcenterConfig; code: string; msg: RegExp }> = [
      { cfg: configFor(vc, 'tp', { thumbprint: wrongTp }), code: 'VCENTER_TLS_MISMATCH', msg: new RegExp(`thumbprint ${vc.thumbprint} does not match`) },
      { cfg: configFor(vc, 'pw', { passwordFile: secret('bad.pw', 'not-the-password') }), code: 'VCENTER_AUTH', msg: /login refused \(wrong user name or password\)/ },
      { cfg: configFor(vc, 'url', { url: 'https://127.0.0.1:1/sdk' }), code: 'VCENTER_UNREACHABLE', msg: /ECONNREFUSED/ },
      { cfg: configFor(vc, 'dns', { url: 'https://no-such-vcenter.invalid/sdk' }), code: 'VCENTER_UNREACHABLE', msg: /ENOTFOUND|EAI_AGAIN/ },
    ];
    for (const c of cases) {
      const err = await checkVcenter(c.cfg, { timeouts: FAST }).then(() => null, (e: unknown) => e);
      expect(err, c.cfg.name).toBeInstanceOf(VmtraceError);
      expect((err as VmtraceError).code, c.cfg.name).toBe(c.code);
      expect((err as VmtraceError).message, c.cfg.name).toMatch(c.msg);
      // the running source: disconnected with that error, logged once however often it retries
      const w = watch(c.cfg);
      await waitFor(`${c.cfg.name} error`, () => w.src.status().error?.match(c.msg));
      await new Promise((r) => setTimeout(r, 400)); // several retries at this backoff
      expect(w.src.status().state).toBe('disconnected');
      expect(w.lines.filter((l) => l.level === 50 && c.msg.test(l.msg)), c.cfg.name).toHaveLength(1);
      expect(w.book.sources.get(c.cfg.name)!.state).toBe('disconnected');
      // secrets never reach the logs
      expect(w.lines.some((l) => JSON.stringify(l).includes(vc.password) || JSON.stringify(l).includes('not-the-password'))).toBe(false);
      await w.src.stop();
    }
    // no trust anchor at all: refuse to start
    expect(() => startVcenterSource(configFor(vc, 'none', { thumbprint: undefined }), new FactBook(), pino({ level: 'silent' }))).toThrow(/thumbprint or a caFile/);
    expect((await vc.control.sessions()).byUser[vc.username] ?? 0).toBe(0);
  });

  it('a CA file instead of a pinned thumbprint: trusted when it vouches for the certificate, a clear TLS error when not', async () => {
    const caFile = join(dir, 'vcenter-ca.pem');
    writeFileSync(caFile, await peerCertPem(vc.url));
    const ok = await checkVcenter(configFor(vc, 'ca', { thumbprint: undefined, caFile }), { timeouts: FAST });
    expect(ok.inventory.vms.length).toBe(15);
    // a CA that signed something else
    const otherKey = join(dir, 'other.key');
    const otherCa = join(dir, 'other-ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', otherKey, '-out', otherCa, '-days', '1', '-subj', '/CN=not-this-vcenter'], { stdio: 'ignore' });
    const err = await checkVcenter(configFor(vc, 'ca', { thumbprint: undefined, caFile: otherCa }), { timeouts: FAST }).then(() => null, (e: unknown) => e);
    expect((err as VmtraceError).code).toBe('VCENTER_TLS_MISMATCH');
    expect((err as VmtraceError).message).toMatch(/certificate not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
    // an unreadable CA file refuses to start
    expect(() => startVcenterSource(configFor(vc, 'ca', { thumbprint: undefined, caFile: join(dir, 'missing.pem') }), new FactBook(), pino({ level: 'silent' }))).toThrow(/cannot read caFile/);
  });

  it('20 forced reconnects (killed sessions and a frozen vCenter) leave one vmtrace session, not 21', async () => {
    const w = watch(configFor(vc, 'vc1'));
    await waitFor('synced', () => w.src.status().state === 'synced');
    const syncs = () => w.journal.filter((j) => j.kind === 'vcenter-state' && /→ synced/.test(j.message)).length;
    for (let i = 0; i < 20; i++) {
      const before = syncs();
      if (i % 4 === 3) {
        // frozen: the wait times out, the logout goes unanswered; it must be retried later
        await vc.control.freeze(true);
        await waitFor('disconnected', () => w.src.status().state === 'disconnected', 5000);
        await vc.control.freeze(false);
      } else {
        await vc.control.killSessions(vc.username);
      }
      await waitFor(`resync ${i + 1}`, () => syncs() > before, 10_000);
    }
    const s = await vc.control.sessions();
    expect(s.byUser[vc.username]).toBe(1);
    expect(w.journal.filter((j) => j.kind === 'vcenter-gap').length).toBe(20);
    await w.src.stop();
    expect((await vc.control.sessions()).byUser[vc.username] ?? 0).toBe(0);
  });

  it('a vCenter that accepts connections and never answers: timeout, reconnect, no hang', async () => {
    await vc.control.freeze(true);
    const w = watch(configFor(vc, 'vc1'));
    await waitFor('timeout reported', () => /no answer within 1500 ms/.test(w.src.status().error ?? ''), 5000);
    expect(w.src.status().state).toBe('disconnected');
    await vc.control.freeze(false);
    await waitFor('synced after thaw', () => w.src.status().state === 'synced', 10_000);
    // frozen again mid-watch: the wait has a client-side deadline
    await vc.control.freeze(true);
    const t0 = Date.now();
    await waitFor('disconnected', () => w.src.status().state === 'disconnected', 5000);
    expect(Date.now() - t0).toBeLessThan(1000 + 700 + 1500);
    // facts are kept while blind
    expect(factsOf(w.book, 'vc1').vms.length).toBeGreaterThan(0);
    // stop does not hang on a frozen peer
    const s0 = Date.now();
    await w.src.stop();
    expect(Date.now() - s0).toBeLessThan(5000);
    await vc.control.freeze(false);
  });

  it('simulator killed and restarted: disconnected meanwhile with facts kept, then full resync and the gap journaled', async () => {
    const w = watch(configFor(vc, 'vc1'));
    await waitFor('synced', () => w.src.status().state === 'synced');
    // a change the restart will undo: the resync must replace, not merge
    await vc.control.power('app1', false);
    await waitFor('powered off', () => vmByName(w.book, 'vc1', 'app1')?.powerState === 'poweredOff');
    const vmsBefore = factsOf(w.book, 'vc1').vms.length;
    await vc.kill();
    await waitFor('disconnected', () => w.src.status().state === 'disconnected', 5000);
    expect(w.book.sources.get('vc1')!.state).toBe('disconnected');
    await new Promise((r) => setTimeout(r, 500));
    // no fact dropped while blind
    expect(factsOf(w.book, 'vc1').vms.length).toBe(vmsBefore);
    expect(w.changes.filter((c) => c.c.kind === 'inventory').length).toBe(1);
    await vc.restart();
    await waitFor('resynced', () => w.src.status().state === 'synced', 15_000);
    expect(factsOf(w.book, 'vc1')).toEqual(sorted(expectedFacts('vc1', await vc.control.dump())));
    expect(vmByName(w.book, 'vc1', 'app1')!.powerState).toBe('poweredOn');
    const gap = w.journal.find((j) => j.kind === 'vcenter-gap');
    expect(gap?.message).toMatch(/^vc1: no updates from .* \(\d+ s\); full resync: 4 hosts, 15 VMs/);
    const states = w.journal.filter((j) => j.kind === 'vcenter-state').map((j) => j.message.replace(/ \(.*\)$/, ''));
    expect(states).toEqual(['vc1: connecting → syncing', 'vc1: syncing → synced', 'vc1: synced → disconnected', 'vc1: disconnected → syncing', 'vc1: syncing → synced']);
    await w.src.stop();
  });

  it('two vCenters at once: facts keyed apart; one stopped is disconnected while the other keeps delivering', async () => {
    const vc2 = await startVcsim({ hostCount: 2, vmCount: 3, portgroups: [{ name: 'web', vlan: 200 }] });
    try {
      const journal: JournalEntry[] = [];
      const book = new FactBook(() => {}, (e) => journal.push(e));
      const a = watch(configFor(vc, 'vcA'), book);
      const b = watch(configFor(vc2, 'vcB'), book);
      await waitFor('both synced', () => a.src.status().state === 'synced' && b.src.status().state === 'synced');
      expect(factsOf(book, 'vcA')).toEqual(sorted(expectedFacts('vcA', await vc.control.dump())));
      expect(factsOf(book, 'vcB')).toEqual(sorted(expectedFacts('vcB', await vc2.control.dump())));
      // the same moids exist in both vCenters: two facts each, never one overwriting the other
      const moids = (vcName: string) => {
        const f = factsOf(book, vcName);
        return new Set([...f.hosts, ...f.networks, ...f.vms].map((x) => x.moid));
      };
      const shared = [...moids('vcA')].filter((m) => moids('vcB').has(m));
      expect(shared.length).toBeGreaterThan(0);
      await vc2.stop();
      await waitFor('vcB disconnected', () => book.sources.get('vcB')?.state === 'disconnected', 5000);
      expect(book.sources.get('vcA')!.state).toBe('synced');
      // vcB's facts stay (removals are frozen by the controller, not dropped here)
      expect(factsOf(book, 'vcB').vms.length).toBe(3);
      // vcA keeps delivering
      await vc.control.createVm({ name: 'while-b-down', host: 'esx-04.lab', nics: [{ network: 'web' }] });
      await waitFor('vcA add', () => vmByName(book, 'vcA', 'while-b-down'), 3000);
      await vc.control.destroyVm('while-b-down');
      await a.src.stop();
      await b.src.stop();
    } finally {
      await vc2.stop();
    }
  });
});
