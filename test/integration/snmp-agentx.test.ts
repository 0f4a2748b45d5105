// AgentX: first the failure of net-snmp's npm subagent (two PDUs in one TCP read: one is
// lost), then ours against the same scripted master, then ours under a real snmpd (unix and
// tcp sockets): every table through snmpd, SET refused, snmpd restarted or gone, a hung master.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { silentLogger } from '../../agent/log.js';
import { AgentXFramer, AX, AxReader, encodePdu, type AgentXPdu } from '../../agent/snmp/agentx-pdu.js';
import { startSnmp, type SnmpHandle } from '../../agent/snmp/index.js';
import { OIDS } from '../../shared/mib/oids.js';
import { freeTcpPort, freeUdpPort, netSnmp, startSnmpd, type Snmpd } from '../helpers/snmpd.js';
import { sampleData, viewOf } from '../helpers/snmp-view.js';
import { expectedVmtrace, parseWalk, sortedOids } from '../helpers/snmp-walk.js';

/** The few parts of net-snmp's (untyped) npm module this test drives. */
interface StockSubagent {
  on(event: 'error', cb: (err: Error) => void): void;
  open(cb: () => void): void;
  close(cb: () => void): void;
  registerProvider(provider: Record<string, unknown>, cb: () => void): void;
  getMib(): { setScalarValue(name: string, value: unknown): void };
}
const snmpLib = createRequire(import.meta.url)('net-snmp') as {
  createSubagent(opts: { master: string; masterPort: number }): StockSubagent;
  MibProviderType: Record<string, number>;
  ObjectType: Record<string, number>;
  MaxAccess: Record<string, number>;
};

const NAME_OID = `${OIDS.vmtraceSwitchName}.0`.split('.').map(Number);
const data = sampleData(40);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A scripted AgentX master: answers the subagent's Open/Register with success, then on demand
 * writes several Get PDUs in ONE socket write and collects the Responses.
 */
async function scriptedMaster(): Promise<{
  port: number;
  connected: Promise<void>;
  registered: Promise<void>;
  burst(packetIds: number[]): void;
  send(pdu: Buffer): void;
  responses: AgentXPdu[];
  close(): Promise<void>;
}> {
  const responses: AgentXPdu[] = [];
  let sock: net.Socket | null = null;
  let onConnected!: () => void;
  let onRegistered!: () => void;
  const connected = new Promise<void>((r) => (onConnected = r));
  const registered = new Promise<void>((r) => (onRegistered = r));
  const server = net.createServer((s) => {
    sock = s;
    onConnected();
    const framer = new AgentXFramer();
    s.on('data', (chunk) => {
      for (const pdu of framer.push(chunk)) {
        if (pdu.type === AX.Response) {
          responses.push(pdu);
          continue;
        }
        s.write(encodePdu(AX.Response, { sessionId: 7, transactionId: pdu.transactionId, packetId: pdu.packetId }, (w) => w.u32(0).u16(0).u16(0)));
        if (pdu.type === AX.Register) onRegistered();
      }
    });
    s.on('error', () => undefined);
  });
  const port = await freeTcpPort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    connected,
    registered,
    responses,
    burst(packetIds) {
      const pdus = packetIds.map((packetId) =>
        encodePdu(AX.Get, { sessionId: 7, transactionId: packetId, packetId }, (w) => {
          w.oid(NAME_OID);
          w.oid([]);
        }),
      );
      sock!.write(Buffer.concat(pdus));
    },
    send(pdu) {
      sock!.write(pdu);
    },
    close: () =>
      new Promise<void>((r) => {
        sock?.destroy();
        server.close(() => r());
      }),
  };
}

function nameIn(pdu: AgentXPdu): string {
  const r = new AxReader(pdu.payload, pdu.bigEndian);
  r.u32();
  r.u16();
  r.u16();
  const vb = r.varbind();
  return Buffer.isBuffer(vb.value) ? vb.value.toString() : String(vb.value);
}

describe('AgentX framing', () => {
  it("net-snmp's npm subagent answers only the first of two PDUs that arrive in one read", async () => {
    const master = await scriptedMaster();
    const sub = snmpLib.createSubagent({ master: '127.0.0.1', masterPort: master.port });
    sub.on('error', () => undefined);
    try {
      await master.connected;
      await new Promise<void>((resolve) => sub.open(() => resolve()));
      sub.registerProvider(
        {
          name: 'vmtraceSwitchName',
          type: snmpLib.MibProviderType['Scalar'],
          oid: OIDS.vmtraceSwitchName,
          scalarType: snmpLib.ObjectType['OctetString'],
          maxAccess: snmpLib.MaxAccess['read-only'],
        },
        () => undefined,
      );
      await master.registered;
      sub.getMib().setScalarValue('vmtraceSwitchName', 'leaf1');
      master.burst([101, 102]);
      await sleep(500);
      expect(master.responses.map((p) => p.packetId)).toEqual([101]); // 102 is lost
    } finally {
      sub.close(() => undefined);
      await master.close();
    }
  });

  it('our subagent answers every PDU of a coalesced burst, in order', async () => {
    const master = await scriptedMaster();
    const snmp = await startSnmp({ agentx: `tcp:127.0.0.1:${master.port}`, communities: [], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
    try {
      await snmp.agentxReady();
      master.burst([101, 102, 103, 104, 105]);
      const t0 = Date.now();
      while (master.responses.length < 5 && Date.now() - t0 < 2000) await sleep(20);
      expect(master.responses.map((p) => p.packetId)).toEqual([101, 102, 103, 104, 105]);
      expect(master.responses.map(nameIn)).toEqual(Array(5).fill('leaf1'));
    } finally {
      await snmp.stop();
      await master.close();
    }
  });

  it('GetBulk, GetNext with include and end bounds, TestSet: answered as RFC 2741 says', async () => {
    const master = await scriptedMaster();
    const snmp = await startSnmp({ agentx: `tcp:127.0.0.1:${master.port}`, communities: [], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
    const ids = (packetId: number) => ({ sessionId: 7, transactionId: packetId, packetId });
    const vnicVm = OIDS.vmtraceVnicVmIndex.split('.').map(Number);
    const vnicName = OIDS.vmtraceVnicVmName.split('.').map(Number);
    try {
      await snmp.agentxReady();
      // bulk: 1 non-repeater from the scalars, 1 repeater over the vnic vmIndex column ending before column 3
      master.send(encodePdu(AX.GetBulk, ids(201), (w) => {
        w.u16(1).u16(45);
        w.oid(OIDS.vmtraceScalars.split('.').map(Number)).oid([]);
        w.oid(vnicVm).oid(vnicName);
      }));
      // getnext with include=1 on an existing instance returns it; an end bound before it gives endOfMibView
      master.send(encodePdu(AX.GetNext, ids(202), (w) => {
        w.oid([...vnicVm, 5], true).oid([]);
        w.oid([...vnicVm, 40]).oid(vnicName);
      }));
      master.send(encodePdu(AX.TestSet, ids(203), (w) => w.varbind({ oid: NAME_OID, type: 4, value: Buffer.from('x') })));
      const t0 = Date.now();
      while (master.responses.length < 3 && Date.now() - t0 < 2000) await sleep(20);
      const byId = new Map(master.responses.map((p) => [p.packetId, p]));
      const read = (p: AgentXPdu) => {
        const r = new AxReader(p.payload, p.bigEndian);
        r.u32();
        const error = r.u16();
        const index = r.u16();
        const vbs = [];
        while (r.remaining > 0) vbs.push(r.varbind());
        return { error, index, vbs };
      };
      const bulk = read(byId.get(201)!);
      expect(bulk.vbs[0]!.oid).toEqual(NAME_OID);
      // 40 vnic rows, then the end bound stops the repeater: endOfMibView
      expect(bulk.vbs.slice(1, 41).map((v) => v.oid.join('.'))).toEqual(Array.from({ length: 40 }, (_, i) => `${OIDS.vmtraceVnicVmIndex}.${i + 1}`));
      expect(bulk.vbs[41]!.type).toBe(0x82);
      expect(bulk.vbs).toHaveLength(42);
      const next = read(byId.get(202)!);
      expect(next.vbs[0]!.oid).toEqual([...vnicVm, 5]);
      expect(next.vbs[1]).toEqual({ oid: [...vnicVm, 40], type: 0x82, value: null });
      expect(read(byId.get(203)!)).toMatchObject({ error: 17, index: 1 });
    } finally {
      await snmp.stop();
      await master.close();
    }
  });

  it('our framer reassembles PDUs split at any byte and both byte orders', () => {
    const a = encodePdu(AX.Get, { sessionId: 1, transactionId: 2, packetId: 3 }, (w) => w.oid(NAME_OID).oid([]));
    const b = encodePdu(AX.GetNext, { sessionId: 1, transactionId: 2, packetId: 4 }, (w) => w.oid(NAME_OID, true).oid([]));
    const stream = Buffer.concat([a, b, a]);
    for (let cut = 1; cut < stream.length; cut += 3) {
      const f = new AgentXFramer();
      const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
      expect(got.map((p) => p.packetId)).toEqual([3, 4, 3]);
    }
    // little-endian (flag clear): header and payload fields swapped
    const le = Buffer.from(a);
    le[2] = 0;
    for (const off of [4, 8, 12, 16]) le.writeUInt32LE(a.readUInt32BE(off), off);
    const p = new AgentXFramer().push(le);
    expect(p[0]!.packetId).toBe(3);
    expect(p[0]!.bigEndian).toBe(false);
  });
});

describe('AgentX subagent under a real snmpd', () => {
  let snmpd: Snmpd;
  let unix: SnmpHandle;
  const rw = `rw${process.pid}`;

  beforeAll(async () => {
    snmpd = await startSnmpd({ conf: [`rwcommunity ${rw} 127.0.0.1`] });
    unix = await startSnmp({ agentx: snmpd.agentxUnix, communities: [], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
    await unix.agentxReady();
  });

  afterAll(async () => {
    await unix?.stop();
    await snmpd?.stop();
  });

  const via = () => ['-v2c', '-c', snmpd.community, '-On', '-Ox', '-t', '2', '-r', '1', `127.0.0.1:${snmpd.port}`];

  it('snmpwalk and snmpbulkwalk through snmpd (unix socket) return exactly what the view holds', async () => {
    const want = expectedVmtrace(data);
    const walk = await netSnmp('snmpwalk', [...via(), OIDS.vmtraceMIB]);
    expect([...parseWalk(walk.stdout).keys()]).toEqual(sortedOids(want));
    expect(Object.fromEntries(parseWalk(walk.stdout))).toEqual(Object.fromEntries(want));
    const bulk = await netSnmp('snmpbulkwalk', [...via(), '-Cr50', OIDS.vmtraceMIB]);
    expect(Object.fromEntries(parseWalk(bulk.stdout))).toEqual(Object.fromEntries(want));
    const get = await netSnmp('snmpget', [...via(), `${OIDS.vmtracePortName}.3`, `${OIDS.vmtraceVnicVlan}.5`]);
    expect(parseWalk(get.stdout).get(`${OIDS.vmtracePortName}.3`)).toEqual(want.get(`${OIDS.vmtracePortName}.3`));
    expect(parseWalk(get.stdout).get(`${OIDS.vmtraceVnicVlan}.5`)).toEqual({ type: 'INTEGER', value: '-1' });
    const next = await netSnmp('snmpgetnext', [...via(), OIDS.vmtraceVtepTable]);
    expect(next.stdout.startsWith(`.${OIDS.vmtraceVtepVni}.1 = Gauge32: 5001`)).toBe(true);
  });

  it("knows the master's start (the base of LLDP-MIB time marks under snmpd)", async () => {
    const r = await netSnmp('snmpget', ['-v2c', '-c', snmpd.community, '-On', '-Ot', `127.0.0.1:${snmpd.port}`, '1.3.6.1.2.1.1.3.0']);
    const masterStart = Date.now() - Number(/= (?:Timeticks: )?\(?(\d+)/.exec(r.stdout)?.[1]) * 10;
    expect(Math.abs(unix.agentxMasterStart()! - masterStart)).toBeLessThan(1000);
  });

  it('over the tcp socket too', async () => {
    const tcp = await startSnmp({ agentx: snmpd.agentxTcp, communities: [], users: [], traps: [], lldpMib: true }, viewOf(data), () => [{ oid: [1, 0, 8802, 1, 1, 2, 1, 2, 2, 0], type: 'Gauge32', value: 3 }], silentLogger());
    try {
      await tcp.agentxReady();
      const r = await netSnmp('snmpget', [...via(), '1.0.8802.1.1.2.1.2.2.0']);
      expect(r.stdout.trim()).toBe('.1.0.8802.1.1.2.1.2.2.0 = Gauge32: 3');
    } finally {
      await tcp.stop();
    }
  });

  it('SET through snmpd (read-write community) is refused by the subagent', async () => {
    const before = unix.counters().setRequestsRefused;
    const r = await netSnmp('snmpset', ['-v2c', '-c', rw, '-t', '2', '-r', '0', `127.0.0.1:${snmpd.port}`, `${OIDS.vmtraceSwitchName}.0`, 's', 'evil']);
    expect(r.stderr).toMatch(/notWritable/);
    expect(unix.counters().setRequestsRefused).toBe(before + 1);
  });

  it('snmpd restarted: values are served again within 5 s', async () => {
    const connects = unix.counters().agentxConnects;
    await snmpd.restart();
    const t0 = Date.now();
    let served = false;
    while (!served && Date.now() - t0 < 5000) {
      const r = await netSnmp('snmpget', ['-v2c', '-c', snmpd.community, '-t', '0.3', '-r', '0', '-On', `127.0.0.1:${snmpd.port}`, `${OIDS.vmtraceSwitchName}.0`]);
      served = r.stdout.includes('STRING: "leaf1"');
      if (!served) await sleep(100);
    }
    expect(served).toBe(true);
    expect(unix.counters().agentxConnects).toBe(connects + 1);
    expect(unix.counters().agentxDisconnects).toBeGreaterThanOrEqual(1);
  });

  it('snmpd gone for a while: the agent keeps answering on its own, then re-registers', async () => {
    const port = await freeUdpPort();
    const community = `gone${process.pid}`;
    // a bare path, as snmpd's default /var/agentx/master is written in configs
    const both = await startSnmp({ listen: `udp:127.0.0.1:${port}`, agentx: snmpd.agentxUnix.slice('unix:'.length), communities: [{ community, from: '127.0.0.1/32' }], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
    try {
      await both.agentxReady();
      await snmpd.down();
      for (let i = 0; i < 3; i++) {
        const t = Date.now();
        const r = await netSnmp('snmpget', ['-v2c', '-c', community, '-t', '1', '-r', '0', `127.0.0.1:${port}`, `${OIDS.vmtraceSwitchName}.0`]);
        expect(r.stdout).toContain('leaf1');
        expect(Date.now() - t).toBeLessThan(1000);
        await sleep(500);
      }
      await snmpd.up();
      await both.agentxReady();
      const r = await netSnmp('snmpget', ['-v2c', '-c', snmpd.community, '-t', '1', `127.0.0.1:${snmpd.port}`, `${OIDS.vmtraceSwitchName}.0`]);
      expect(r.stdout).toContain('leaf1');
    } finally {
      await both.stop();
    }
  });
});

describe('a missing or hung master never blocks', () => {
  it('a master that stops answering pings after the session opened: dropped and re-opened', async () => {
    let sessions = 0;
    const server = net.createServer((s) => {
      const mine = ++sessions;
      const framer = new AgentXFramer();
      s.on('error', () => undefined);
      s.on('data', (chunk) => {
        for (const pdu of framer.push(chunk)) {
          // the first session goes silent after registration: pings are never answered
          if (pdu.type === AX.Ping && mine === 1) continue;
          if (pdu.type !== AX.Response) s.write(encodePdu(AX.Response, { sessionId: mine, transactionId: 0, packetId: pdu.packetId }, (w) => w.u32(0).u16(0).u16(0)));
        }
      });
    });
    const axPort = await freeTcpPort();
    await new Promise<void>((r) => server.listen(axPort, '127.0.0.1', r));
    const snmp = await startSnmp({ agentx: `tcp:127.0.0.1:${axPort}`, agentxPingMs: 300, agentxTimeoutMs: 300, communities: [], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
    try {
      await snmp.agentxReady();
      const t0 = Date.now();
      while (snmp.counters().agentxConnects < 2 && Date.now() - t0 < 5000) await sleep(50);
      expect(snmp.counters().agentxConnects).toBe(2);
      expect(snmp.counters().agentxDisconnects).toBe(1);
      expect(sessions).toBe(2);
    } finally {
      await snmp.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('no master at the socket path: start returns at once and the standalone agent answers', async () => {
    const port = await freeUdpPort();
    const t0 = Date.now();
    const snmp = await startSnmp({ listen: `udp:127.0.0.1:${port}`, agentx: `/tmp/vmtrace-no-master-${process.pid}.sock`, communities: [{ community: 'nomaster-c', from: '127.0.0.1' }], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
    try {
      expect(Date.now() - t0).toBeLessThan(1000);
      const r = await netSnmp('snmpget', ['-v2c', '-c', 'nomaster-c', '-t', '1', '-r', '0', `127.0.0.1:${port}`, `${OIDS.vmtraceSwitchName}.0`]);
      expect(r.stdout).toContain('leaf1');
      expect(snmp.counters().agentxConnects).toBe(0);
    } finally {
      await snmp.stop();
    }
  });

  it('a master that accepts and never answers: the agent still answers, stop() returns promptly', async () => {
    const accepted: net.Socket[] = [];
    const silent = net.createServer((s) => {
      accepted.push(s);
      s.on('error', () => undefined);
      s.resume(); // reads and ignores everything
    });
    const axPort = await freeTcpPort();
    await new Promise<void>((r) => silent.listen(axPort, '127.0.0.1', r));
    const port = await freeUdpPort();
    const snmp = await startSnmp({ listen: `udp:127.0.0.1:${port}`, agentx: `tcp:127.0.0.1:${axPort}`, communities: [{ community: 'hung-c', from: '127.0.0.1' }], users: [], traps: [], lldpMib: false }, viewOf(data), () => [], silentLogger());
    try {
      for (let i = 0; i < 4; i++) {
        const r = await netSnmp('snmpget', ['-v2c', '-c', 'hung-c', '-t', '1', '-r', '0', `127.0.0.1:${port}`, `${OIDS.vmtraceSwitchName}.0`]);
        expect(r.stdout).toContain('leaf1');
        await sleep(1000);
      }
      expect(snmp.counters().agentxConnects).toBe(0);
    } finally {
      const t = Date.now();
      await snmp.stop();
      expect(Date.now() - t).toBeLessThan(1000);
      expect(accepted.length).toBeGreaterThanOrEqual(2); // the Open timed out and it tried again
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
