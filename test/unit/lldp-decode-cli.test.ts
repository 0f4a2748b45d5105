// `vmtrace lldp decode`: human and JSON output over fixture captures, and the PCAP_INVALID
// error for files that are not captures.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lldpDecodeCommand } from '../../agent/cli/lldp-decode.js';
import { VmtraceError, exitCodeFor } from '../../shared/errors.js';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/lldp');
const tmp = mkdtempSync(join(tmpdir(), 'vmtrace-lldp-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(file: string, json: boolean): Promise<{ code: number; text: string }> {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  const code = await lldpDecodeCommand(file, { json }, out);
  return { code, text };
}

describe('vmtrace lldp decode', () => {
  it('prints an LLDP capture like lldpctl, labels aligned', async () => {
    const { code, text } = await run(join(FIX, 'lldpd-esxi.pcap'), false);
    expect(code).toBe(0);
    expect(text).toContain('Frame 1  2026-11-24T07:56:47.490Z  134 bytes  LLDP from 00:50:56:aa:bb:01\n');
    expect(text).toContain('  ChassisID:    mac 00:50:56:aa:bb:01\n');
    expect(text).toContain('  PortID:       ifname vmnic0\n');
    expect(text).toContain('  SysName:      esx-01.lab\n');
    expect(text).toContain('  Capability:   Bridge off, Wlan off, Router off, Station on\n');
    expect(text).toContain('  MgmtIP:       192.0.2.11 (ifIndex 2)\n');
    expect(text).toContain('5 frames: 5 LLDP, 0 CDP, 0 malformed, 0 ignored, 0 not Ethernet\n');
  });

  it('prints CDP, skips DTP, and reports malformed and non-Ethernet frames', async () => {
    const cdp = (await run(join(FIX, 'assim-n0.eth2.cdp.pcap'), false)).text;
    expect(cdp).toContain('ignored: Cisco SNAP PID 0x2004 is not CDP');
    expect(cdp).toContain('  DeviceID:     csr706a.pbm.ihost.com\n');
    expect(cdp).toContain('  NativeVLAN:   77\n');
    const bad = (await run(join(FIX, 'lldpd-test-med-loc-malformed.pcap'), false)).text;
    expect(bad).toContain('LLDP MALFORMED');
    expect(bad).toContain('  ChassisID:    chassis \\x0a');
    const hdlc = (await run(join(FIX, 'assim-cdp_v2_hdlc.pcap'), false)).text;
    expect(hdlc).toContain('not decoded: link type C_HDLC (Cisco HDLC) is not Ethernet');
  });

  it('JSON: the documented shape', async () => {
    const { code, text } = await run(join(FIX, 'tcpdump-LLDP_and_CDP.pcap'), true);
    expect(code).toBe(0);
    const j = JSON.parse(text);
    expect(Object.keys(j)).toEqual(['file', 'format', 'linkType', 'linkTypeName', 'truncated', 'summary', 'frames']);
    expect(j.summary).toEqual({ frames: 12, lldp: 8, cdp: 4, malformed: 0, ignored: 0, unsupported: 0 });
    const lldp = j.frames.find((f: { kind: string }) => f.kind === 'lldp');
    expect(Object.keys(lldp)).toEqual(['number', 'time', 'length', 'kind', 'src', 'lldp']);
    expect(lldp.lldp.chassisId).toEqual({ subtype: 4, id: '00:19:2f:a7:b2:8d', raw: '00192fa7b28d' });
    expect(lldp.lldp.sysName).toBe('S2.cisco.com');
    expect(lldp.lldp.tlvs.at(-1)).toEqual({ type: 0, kind: 'end' });
    const cdp = j.frames[0];
    expect(cdp.kind).toBe('cdp');
    expect(cdp.cdp).toMatchObject({ version: 2, ttl: 180, deviceId: 'S1', portId: 'FastEthernet0/13', platform: 'cisco WS-C3560-24TS', nativeVlan: 1 });
    const mal = JSON.parse((await run(join(FIX, 'tcpdump-lldp_asan.pcap'), true)).text).frames[0];
    expect(mal.kind).toBe('malformed');
    expect(mal.error).toMatchObject({ protocol: 'lldp', tlvType: 127, offset: 8 });
    expect(mal.error.partial).toHaveLength(1);
  });

  it.each([
    ['not a capture', Buffer.from('hello, this is text\n')],
    ['empty', Buffer.alloc(0)],
    ['a pcap header cut short', Buffer.from('d4c3b2a1020004000000', 'hex')],
  ])('%s → PCAP_INVALID, exit 1', async (_label, bytes) => {
    const f = join(tmp, `${_label.replace(/\W/g, '_')}.pcap`);
    writeFileSync(f, bytes);
    const err = await run(f, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmtraceError);
    expect((err as VmtraceError).code).toBe('PCAP_INVALID');
    expect(exitCodeFor(err)).toBe(1);
  });

  it('a missing file → PCAP_INVALID', async () => {
    const err = await run(join(tmp, 'nope.pcap'), true).catch((e: unknown) => e);
    expect((err as VmtraceError).code).toBe('PCAP_INVALID');
  });
});
