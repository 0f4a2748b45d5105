// The wire layers: BER (round trips, and untrusted bytes only ever raise BerError), USM key
// localisation against RFC 3414's vector and net-snmp's implementation, v3 messages that
// authenticate and decrypt, and AgentX PDUs (types, prefix compression, truncation).

import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentXError, AgentXFramer, AX, AxReader, encodePdu as encodeAx } from '../../agent/snmp/agentx-pdu.js';
import { BerError, BerReader, encodeOid, encodeSigned, encodeValue, encodeVarbind } from '../../agent/snmp/ber.js';
import { decodeMessage, decodeScopedPdu, encodeCommunityMessage, encodePdu, encodeV3Message, FLAG_AUTH, FLAG_PRIV, PDU } from '../../agent/snmp/message.js';
import { aesDecrypt, localizeKey, localizeUser, passwordToKey, verifyDigest } from '../../agent/snmp/usm.js';
import { T, type Varbind } from '../../agent/snmp/varbind.js';

const stock = createRequire(import.meta.url)('net-snmp') as {
  Authentication: { passwordToKey(proto: number, password: string, engineId: Buffer): Buffer };
  AuthProtocols: Record<string, number>;
};

describe('BER', () => {
  it('integers and OIDs round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (n) => {
        expect(new BerReader(encodeSigned(T.Integer, n)).integer()).toBe(n);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }), (a, b, rest) => {
        const oid = [a, b, ...rest];
        expect(new BerReader(encodeOid(oid)).oid()).toEqual(oid);
      }),
    );
  });

  it('unsigned and 64-bit values encode as net-snmp expects', () => {
    expect(encodeValue(T.Gauge32, 0xffffffff).toString('hex')).toBe('420500ffffffff');
    expect(encodeValue(T.Counter64, 2n ** 64n - 1n).toString('hex')).toBe('460900ffffffffffffffff');
    expect(encodeValue(T.Integer, -1).toString('hex')).toBe('0201ff');
    expect(encodeValue(T.NoSuchInstance, null).toString('hex')).toBe('8100');
  });

  it('random and truncated bytes raise BerError, never anything else', () => {
    const valid = encodeCommunityMessage(1, Buffer.from('c'), encodePdu(PDU.GetBulk, 7, 0, 10, [encodeVarbind({ oid: [1, 3, 6, 1], type: T.Null, value: null })]));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: valid.length }), (bytes, cut) => {
        for (const input of [Buffer.from(bytes), valid.subarray(0, cut), Buffer.concat([Buffer.from([0x30]), Buffer.from(bytes)])]) {
          try {
            decodeMessage(input);
          } catch (err) {
            expect(err).toBeInstanceOf(BerError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('USM', () => {
  it('SHA-1 key localisation matches RFC 3414 A.3.2', () => {
    const ku = passwordToKey('sha1', 'maplesyrup');
    expect(ku.toString('hex')).toBe('9fb5cc0381497b3793528939ff788d5d79145211');
    const kul = localizeKey('sha1', ku, Buffer.from('000000000000000000000002', 'hex'));
    expect(kul.toString('hex')).toBe('6695febc9288e36282235fc7151f128497b38f3f');
  });

  it('SHA-256 localisation matches net-snmp', () => {
    const engine = Buffer.from('80001f8805aabbccddeeff0011223344', 'hex');
    const ours = localizeKey('sha256', passwordToKey('sha256', 'a long passphrase'), engine);
    const theirs = stock.Authentication.passwordToKey(stock.AuthProtocols['sha256']!, 'a long passphrase', engine);
    expect(ours.toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
  });

  it('refuses passphrases shorter than 8 characters', () => {
    expect(() => passwordToKey('sha256', 'short')).toThrow(RangeError);
  });

  it('an authPriv message authenticates, decrypts, and fails with any other key', () => {
    const engine = Buffer.from('80001f8805010203040506070809', 'hex');
    const user = localizeUser({ name: 'u', auth: 'sha256', authKey: 'auth-pass-1', priv: 'aes128', privKey: 'priv-pass-1' }, engine);
    const vb = encodeVarbind({ oid: [1, 3, 6, 1, 2, 1, 1, 5, 0], type: T.OctetString, value: Buffer.from('x') });
    const wire = encodeV3Message({ msgId: 9, flags: FLAG_AUTH | FLAG_PRIV, engineId: engine, boots: 3, time: 44, userName: Buffer.from('u'), user, contextEngineId: engine, contextName: Buffer.alloc(0), pdu: encodePdu(PDU.Response, 5, 0, 0, [vb]) });
    const m = decodeMessage(wire);
    if (m.version !== 3) throw new Error('v3 expected');
    expect(m.authParams).toHaveLength(24);
    expect(verifyDigest('sha256', user.authKey, wire, m.authOffset)).toBe(true);
    const other = localizeUser({ name: 'u', auth: 'sha256', authKey: 'auth-pass-2', priv: 'aes128', privKey: 'priv-pass-1' }, engine);
    expect(verifyDigest('sha256', other.authKey, wire, m.authOffset)).toBe(false);
    const tampered = Buffer.from(wire);
    tampered[tampered.length - 1]! ^= 1;
    expect(verifyDigest('sha256', user.authKey, tampered, m.authOffset)).toBe(false);
    const scoped = decodeScopedPdu(new BerReader(aesDecrypt(user.privKey, m.boots, m.time, m.privParams, m.encrypted!)));
    expect(scoped.pdu.requestId).toBe(5);
    expect(scoped.pdu.varbinds[0]!.oid).toEqual([1, 3, 6, 1, 2, 1, 1, 5, 0]);
  });
});

describe('AgentX PDUs', () => {
  const samples: Varbind[] = [
    { oid: [1, 3, 6, 1, 4, 1, 8072, 1], type: T.Integer, value: -5 },
    { oid: [1, 3, 6, 1, 4, 1, 8072, 2], type: T.OctetString, value: Buffer.from('odd') },
    { oid: [1, 0, 8802, 1, 1, 2], type: T.ObjectIdentifier, value: [0, 0] },
    { oid: [1, 3, 6, 1, 2, 1, 1, 3, 0], type: T.TimeTicks, value: 4294967295 },
    { oid: [1, 3, 6, 1, 4, 1, 1, 1], type: T.Counter64, value: 2n ** 63n + 5n },
    { oid: [1, 3, 6, 1, 4, 1, 1, 2], type: T.IpAddress, value: Buffer.from([192, 0, 2, 1]) },
    { oid: [1, 3, 6, 1, 4, 1, 1, 3], type: T.EndOfMibView, value: null },
  ];

  it('varbinds of every type round-trip (OIDs with and without the 1.3.6.1.x prefix)', () => {
    const pdu = encodeAx(AX.Response, { sessionId: 1, transactionId: 2, packetId: 3 }, (w) => {
      w.u32(0).u16(0).u16(0);
      for (const vb of samples) w.varbind(vb);
    });
    const [parsed] = new AgentXFramer().push(pdu);
    const r = new AxReader(parsed!.payload, parsed!.bigEndian);
    r.u32();
    r.u16();
    r.u16();
    for (const vb of samples) expect(r.varbind()).toEqual(vb);
    expect(r.remaining).toBe(0);
    // 1.3.6.1.4.1.8072.1 travels as prefix 4 and 3 sub-ids (after uptime, error, index, type)
    expect(pdu.readUInt8(20 + 12)).toBe(3);
    expect(pdu.readUInt8(20 + 13)).toBe(4);
  });

  it('truncated payloads raise AgentXError; absurd lengths break the stream', () => {
    const get = encodeAx(AX.Get, { sessionId: 1, transactionId: 2, packetId: 3 }, (w) => w.oid([1, 3, 6, 1, 4, 1, 8072]).oid([]));
    for (let cut = 1; cut < get.length - 20; cut++) {
      const r = new AxReader(get.subarray(20, 20 + cut), true);
      expect(() => r.searchRanges()).toThrow(AgentXError);
    }
    const bad = Buffer.from(get);
    bad.writeUInt32BE(0x7ffffff0, 16);
    expect(() => new AgentXFramer().push(bad)).toThrow(AgentXError);
    const badVersion = Buffer.from(get);
    badVersion[0] = 2;
    expect(() => new AgentXFramer().push(badVersion)).toThrow(AgentXError);
  });
});
