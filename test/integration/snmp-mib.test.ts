// VMTRACE-MIB is clean SMIv2 and the code's OID constants are the MIB's: checked with the
// independent parsers (libsmi's smilint, net-snmp's snmptranslate), not with our own.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOids, MIB_DIRS } from '../../shared/mib/generate-oids.js';
import { ENUMS, OIDS } from '../../shared/mib/oids.js';

const MIB = 'shared/mib/VMTRACE-MIB.txt';

describe('VMTRACE-MIB', () => {
  it('smilint -l 6 prints nothing', () => {
    const r = spawnSync('smilint', ['-l', '6', '-s', MIB], {
      encoding: 'utf8',
      env: { ...process.env, SMIPATH: 'node_modules/net-snmp/lib/mibs:/usr/share/snmp/mibs' },
    });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
  });

  it('snmptranslate -m +VMTRACE-MIB resolves every object to the OID in oids.ts', () => {
    const names = Object.keys(OIDS);
    expect(names.length).toBeGreaterThan(100);
    const r = spawnSync(
      'snmptranslate',
      ['-M', MIB_DIRS, '-m', '+VMTRACE-MIB', '-On', ...names.map((n) => `VMTRACE-MIB::${n}`)],
      { encoding: 'utf8', env: { ...process.env, MIBS: '' } },
    );
    expect(r.status).toBe(0);
    const resolved = r.stdout.split('\n').filter((l) => l.startsWith('.'));
    expect(resolved).toEqual(names.map((n) => `.${OIDS[n as keyof typeof OIDS]}`));
  });

  it('every object the MIB defines is in oids.ts, with its enum values (regenerated == committed)', () => {
    expect(generateOids()).toBe(readFileSync('shared/mib/oids.ts', 'utf8'));
    expect(ENUMS.vmtracePortState).toEqual({ ok: 1, frozen: 2, limit: 3 });
  });

  it('the MIB sits under netSnmpPlaypen .7 and every table is integer-indexed', () => {
    const out = execFileSync('snmptranslate', ['-M', MIB_DIRS, '-m', 'VMTRACE-MIB', '-Td', 'VMTRACE-MIB::vmtraceMIB'], {
      encoding: 'utf8',
      env: { ...process.env, MIBS: '' },
    });
    expect(out).toMatch(/netSnmpPlaypen\(9999\) (vmtraceMIB\()?7/);
    expect(OIDS.vmtraceMIB).toBe('1.3.6.1.4.1.8072.9999.9999.7');
    const text = readFileSync(MIB, 'utf8');
    expect(text).not.toMatch(/IMPLIED/);
    const indexes = [...text.matchAll(/INDEX\s*\{\s*(\w+)\s*\}/g)].map((m) => m[1]!);
    expect(indexes.length).toBe(7);
    for (const idx of indexes) {
      const def = new RegExp(`${idx} OBJECT-TYPE\\s+SYNTAX\\s+(\\S+)`).exec(text);
      expect(['Integer32', 'VmtraceRowIndex']).toContain(def![1]);
    }
  });
});
