// Bad input never stops the agent: 100,000 random, truncated and mutated datagrams, oversized
// and hostile-but-well-formed requests, unknown OIDs; then garbage on the AgentX stream. Every
// bad packet is counted; the agent answers the tools afterwards.

import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/log.js';
import { encodeOid, encodeSigned, encodeVarbind, SEQUENCE, tlv, tlvList } from '../../agent/snmp/ber.js';
import { AgentXFramer, AX, encodePdu as encodeAxPdu } from '../../agent/snmp/agentx-pdu.js';
import { startSnmp, type SnmpHandle } from '../../agent/snmp/index.js';
import { decodeMessage, encodeCommunityMessage, encodePdu, encodeV3Message, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, PDU } from '../../agent/snmp/message.js';
import { engineIdFor } from '../../agent/snmp/udp-agent.js';
import { localizeUser } from '../../agent/snmp/usm.js';
import { T } from '../../agent/snmp/varbind.js';
import { OIDS } from '../../shared/mib/oids.js';
import { freeTcpPort, freeUdpPort, netSnmp } from '../helpers/snmpd.js';
import { sampleData, viewOf } from '../helpers/snmp-view.js';

const community = `fz${process.pid}`;
const user = { name: 'nms', auth: 'sha256' as const, authKey: 'fuzz-auth-secret', priv: 'aes128' as const, privKey: 'fuzz-priv-secret' };
const ENGINE = engineIdFor('fuzz');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** xorshift32: reproducible randomness */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const name = `${OIDS.vmtraceSwitchName}.0`.split('.').map(Number);
const nullVb = (oid: number[]) => encodeVarbind({ oid, type: T.Null, value: null });
const v2 = (tag: number, a: number, b: number, vbs: Buffer[], c = community) => encodeCommunityMessage(1, Buffer.from(c), encodePdu(tag, 1234, a, b, vbs));

function seeds(): Buffer[] {
  const u = localizeUser(user, ENGINE);
  const scopedV3 = (flags: number) =>
    encodeV3Message({
      msgId: 77, flags, engineId: ENGINE, boots: 1, time: 1, userName: Buffer.from('nms'), user: u,
      contextEngineId: ENGINE, contextName: Buffer.alloc(0), pdu: encodePdu(PDU.Get, 5, 0, 0, [nullVb(name)]),
    });
  return [
    v2(PDU.Get, 0, 0, [nullVb(name)]),
    v2(PDU.GetNext, 0, 0, [nullVb(name), nullVb([1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7, 1, 5])]),
    v2(PDU.GetBulk, 1, 30, [nullVb(name), nullVb([1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7, 1, 3])]),
    v2(PDU.Set, 0, 0, [encodeVarbind({ oid: name, type: T.OctetString, value: Buffer.from('x') })]),
    scopedV3(FLAG_REPORTABLE),
    scopedV3(FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE),
  ];
}

/** Well-formed but hostile: huge lengths, deep nesting, giant arcs, absurd bulk parameters. */
function hostile(): Buffer[] {
  return [
    Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01]),
    Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]),
    Buffer.alloc(4000, 0x30),
    v2(PDU.GetBulk, -5, 0x7fffffff, Array.from({ length: 200 }, () => nullVb([1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7]))),
    v2(PDU.GetBulk, 0x7fffffff, -1, [nullVb(name)]),
    v2(PDU.Get, 0, 0, Array.from({ length: 999 }, (_, i) => nullVb([1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7, 1, 5, 1, 3, i + 1]))),
    v2(PDU.Get, 0, 0, Array.from({ length: 1200 }, () => nullVb(name))),
    v2(PDU.Get, 0, 0, [tlvList(SEQUENCE, [tlv(T.ObjectIdentifier, Buffer.from([0x2b, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), Buffer.from([5, 0])])]),
    v2(PDU.Get, 0, 0, [tlvList(SEQUENCE, [encodeOid(Array.from({ length: 200 }, () => 1)), Buffer.from([5, 0])])]),
    v2(PDU.Response, 0, 0, [nullVb(name)]),
    v2(PDU.TrapV2, 0, 0, [nullVb(name)]),
    v2(0xa9, 0, 0, [nullVb(name)]),
    encodeCommunityMessage(0, Buffer.from(community), encodePdu(PDU.Get, 1, 0, 0, [nullVb(name)])),
    encodeCommunityMessage(2, Buffer.from(community), encodePdu(PDU.Get, 1, 0, 0, [nullVb(name)])),
    tlvList(SEQUENCE, [encodeSigned(T.Integer, 3), tlvList(SEQUENCE, [encodeSigned(T.Integer, 1), encodeSigned(T.Integer, 100), tlv(4, Buffer.from([7])), encodeSigned(T.Integer, 99)])]),
  ];
}

let snmp: SnmpHandle;
let port: number;

beforeAll(async () => {
  port = await freeUdpPort();
  snmp = await startSnmp(
    { listen: `udp:127.0.0.1:${port}`, communities: [{ community, from: '127.0.0.1/32' }], users: [user], engineId: ENGINE.toString('hex'), traps: [], lldpMib: false },
    viewOf(sampleData(500)),
    () => [],
    silentLogger(),
  );
});

afterAll(async () => {
  await snmp?.stop();
});

async function stillAnswers(): Promise<void> {
  const r = await netSnmp('snmpget', ['-v2c', '-c', community, '-t', '2', '-r', '1', `127.0.0.1:${port}`, `${OIDS.vmtraceSwitchName}.0`]);
  expect(r.stdout).toContain('leaf1');
  const b = await netSnmp('snmpbulkwalk', ['-v3', '-l', 'authPriv', '-u', 'nms', '-a', 'SHA-256', '-A', user.authKey, '-x', 'AES', '-X', user.privKey, '-On', `127.0.0.1:${port}`, OIDS.vmtraceVnicTable]);
  expect(b.stdout.trim().split('\n')).toHaveLength(500 * 7);
}

describe('bad input on the UDP agent', () => {
  it('100,000 random, truncated and mutated datagrams: no crash, errors counted, still answering', async () => {
    const sock = dgram.createSocket('udp4');
    const replies = { n: 0 };
    sock.on('message', () => replies.n++);
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const rand = rng(0xc0ffee);
    // heavy requests (a 999-varbind Get costs ~7 ms to answer) are sent as they are below,
    // not used as mutation seeds: they would only make this test slow
    const base = [...seeds(), ...hostile().filter((h) => h.length < 2000)];
    const c0 = snmp.counters();
    let sent = 0;
    for (let batch = 0; batch < 2000; batch++) {
      for (let i = 0; i < 50; i++) {
        const kind = rand();
        let pkt: Buffer;
        const seed = base[Math.floor(rand() * base.length)]!;
        if (kind < 0.3) {
          pkt = Buffer.alloc(Math.floor(rand() * 600));
          for (let k = 0; k < pkt.length; k++) pkt[k] = Math.floor(rand() * 256);
          if (rand() < 0.5 && pkt.length > 0) pkt[0] = 0x30;
        } else if (kind < 0.6) {
          pkt = seed.subarray(0, Math.floor(rand() * seed.length));
        } else {
          pkt = Buffer.from(seed);
          const flips = 1 + Math.floor(rand() * 4);
          for (let f = 0; f < flips; f++) pkt[Math.floor(rand() * pkt.length)] = Math.floor(rand() * 256);
        }
        sock.send(pkt, port, '127.0.0.1');
        sent++;
      }
      // Flow control: the agent lives in this process; let it drain its socket before the
      // kernel's receive buffer overflows (it would drop, not the agent).
      let stalled = 0;
      let seen = -1;
      while (snmp.counters().inPkts - c0.inPkts < sent && stalled < 5) {
        const now = snmp.counters().inPkts;
        stalled = now === seen ? stalled + 1 : 0;
        seen = now;
        await new Promise((r) => setImmediate(r));
      }
    }
    for (let k = 0; k < 10; k++) for (const h of hostile()) sock.send(h, port, '127.0.0.1');
    await sleep(500);
    sock.close();
    expect(sent).toBe(100_000);
    const c = snmp.counters();
    expect(c.inPkts - c0.inPkts).toBeGreaterThanOrEqual(99_000); // the kernel may drop a few
    expect(c.inASNParseErrs - c0.inASNParseErrs).toBeGreaterThan(30_000);
    expect(c.badPackets - c0.badPackets).toBeGreaterThan(30_000);
    expect(c.inBadVersions).toBeGreaterThan(0);
    expect(c.silentDrops).toBeGreaterThan(0);
    await stillAnswers();
  }, 120_000);

  it('oversized requests are cut (GetBulk) or answered tooBig, unknown OIDs get exceptions', async () => {
    const bulk = await netSnmp('snmpbulkget', ['-v2c', '-c', community, '-Cn0', '-Cr100000', '-On', `127.0.0.1:${port}`, OIDS.vmtraceVnicTable]);
    const lines = bulk.stdout.trim().split('\n').length;
    expect(lines).toBeGreaterThan(100);
    expect(lines).toBeLessThan(3500); // one datagram's worth, not 100,000
    const manyOids = Array.from({ length: 120 }, (_, i) => `${OIDS.vmtraceVnicPortgroup}.${i + 1}`);
    const big = await netSnmp('snmpget', ['-v2c', '-c', community, '-On', '-t', '2', `127.0.0.1:${port}`, ...manyOids]);
    expect(big.status).toBe(0);
    expect(big.stdout.trim().split('\n')).toHaveLength(120);
    // 1000 port bitmaps (512 octets each) cannot fit one datagram: tooBig, no varbinds
    const sock = dgram.createSocket('udp4');
    const reply = new Promise<Buffer>((r) => sock.once('message', r));
    const bitmap = `${OIDS.vmtracePortVlans}.2`.split('.').map(Number);
    sock.send(v2(PDU.Get, 0, 0, Array.from({ length: 1000 }, () => nullVb(bitmap))), port, '127.0.0.1');
    const msg = decodeMessage(await reply);
    sock.close();
    expect(msg.version === 1 && msg.pdu.a).toBe(1);
    expect(msg.version === 1 && msg.pdu.varbinds.length).toBe(0);
    const unknown = await netSnmp('snmpget', ['-v2c', '-c', community, '-On', `127.0.0.1:${port}`, '1.3.6.1.4.1.99999.1.0', `${OIDS.vmtraceVnicMac}.999999`, '0.0']);
    expect(unknown.stdout).toMatch(/99999\.1\.0 = No Such Object/);
    expect(unknown.stdout).toMatch(/999999 = No Such Instance/);
    await stillAnswers();
  });
});

describe('a failing state view', () => {
  it('a table that cannot be read is served empty; the rest, and the agent, carry on', async () => {
    let broken = false;
    const base = viewOf(sampleData());
    const view = { ...base, vnics: () => (broken ? (() => { throw new Error('store is gone'); })() : base.vnics()) };
    const p = await freeUdpPort();
    const s = await startSnmp({ listen: `udp:127.0.0.1:${p}`, communities: [{ community, from: '127.0.0.1' }], users: [], traps: [], lldpMib: false, cacheMs: 0 }, view, () => [], silentLogger());
    try {
      const walk = (oid: string) => netSnmp('snmpwalk', ['-v2c', '-c', community, '-On', '-t', '1', '-r', '0', `127.0.0.1:${p}`, oid]);
      expect((await walk(OIDS.vmtraceVnicTable)).stdout.trim().split('\n')).toHaveLength(4 * 7);
      broken = true;
      const empty = (await walk(OIDS.vmtraceVnicTable)).stdout;
      expect(empty).not.toContain(`${OIDS.vmtraceVnicEntry}.`);
      expect(empty).toMatch(/No Such Object/); // snmpwalk's fallback get on an empty subtree
      expect((await walk(OIDS.vmtraceScalars)).stdout).toContain('leaf1');
      expect(s.counters().viewErrors).toBeGreaterThan(0);
      broken = false;
      expect((await walk(OIDS.vmtraceVnicTable)).stdout.trim().split('\n')).toHaveLength(4 * 7);
    } finally {
      await s.stop();
    }
  });
});

describe('bad input on the AgentX stream', () => {
  it('garbage from the master: the session is dropped and re-opened, nothing crashes', async () => {
    const axPort = await freeTcpPort();
    let sessions = 0;
    const rand = rng(42);
    const server = net.createServer((s) => {
      sessions++;
      const framer = new AgentXFramer();
      s.on('error', () => undefined);
      s.on('data', (chunk) => {
        let pdus;
        try {
          pdus = framer.push(chunk);
        } catch {
          return;
        }
        for (const pdu of pdus) {
          if (pdu.type === AX.Response) continue;
          s.write(encodeAxPdu(AX.Response, { sessionId: 3, transactionId: 0, packetId: pdu.packetId }, (w) => w.u32(0).u16(0).u16(0)));
          if (pdu.type === AX.Register && sessions <= 3) {
            // then garbage: random bytes, a bad version, an absurd payload length
            const junk = Buffer.alloc(2000);
            for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rand() * 256);
            junk[0] = 1;
            junk[2] = 0x10;
            s.write([junk, Buffer.from([2, 5, 0, 0]), Buffer.from([1, 5, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0])][sessions - 1]!);
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(axPort, '127.0.0.1', r));
    const ax = await startSnmp({ agentx: `tcp:127.0.0.1:${axPort}`, agentxPingMs: 500, agentxTimeoutMs: 500, communities: [], users: [], traps: [], lldpMib: false }, viewOf(sampleData()), () => [], silentLogger());
    try {
      const t0 = Date.now();
      while (sessions < 4 && Date.now() - t0 < 15_000) await sleep(50);
      expect(sessions).toBeGreaterThanOrEqual(4);
      await ax.agentxReady();
      expect(ax.counters().agentxParseErrors).toBeGreaterThanOrEqual(3);
    } finally {
      await ax.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
