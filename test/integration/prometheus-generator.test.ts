// Debian's prometheus-snmp-generator turns VMTRACE-MIB and packaging/snmp/generator.yml into
// an exporter config without a single warning, with every readable object of the MIB in it
// (bitmaps aside: their text twins stand in) and text as labels.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generate, generatorConfig, mibDir, readableObjects, type GeneratorRun } from '../helpers/prometheus.js';
import { run } from '../helpers/show-snmpd.js';

interface Metric {
  name: string;
  type: string;
  indexes?: { labelname: string }[];
  lookups?: { labelname: string; type: string }[];
}

let dir: string;
let gen: GeneratorRun;
let metrics: Metric[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prom-gen-'));
  generatorConfig(dir, 'test-community');
  gen = await generate(dir, mibDir(dir));
  const doc = parse(readFileSync(gen.snmpYml, 'utf8')) as { vmtrace: { metrics: Metric[]; auth: { community: string } } };
  metrics = doc.vmtrace.metrics;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prometheus-snmp-generator on VMTRACE-MIB', () => {
  it('generates without any warning', () => {
    expect(gen.code, gen.output).toBe(0);
    expect(gen.warnings).toEqual([]);
    expect(gen.output).toMatch(/Generated metrics.*module=vmtrace/);
  });

  it('has a metric for every readable object except the six VLAN bitmaps', () => {
    const names = new Set(metrics.map((m) => m.name));
    const objects = readableObjects();
    expect(objects.length).toBeGreaterThan(60);
    const bitmaps = objects.filter((o) => o.syntax === 'VmtraceVlanBitmap').map((o) => o.name);
    expect(bitmaps).toHaveLength(6);
    for (const o of objects) {
      if (bitmaps.includes(o.name)) expect(names.has(o.name), o.name).toBe(false);
      else expect(names.has(o.name), `${o.name} missing from snmp.yml`).toBe(true);
    }
  });

  it('renders no value as hex: text is DisplayString, MACs PhysAddress48, enums named', () => {
    for (const m of metrics) expect(m.type, m.name).not.toBe('OctetString');
    const byName = new Map(metrics.map((m) => [m.name, m]));
    expect(byName.get('vmtracePortName')!.type).toBe('DisplayString');
    expect(byName.get('vmtracePortVlanList')!.type).toBe('DisplayString');
    expect(byName.get('vmtraceVnicMac')!.type).toBe('PhysAddress48');
    expect(byName.get('vmtracePortState')!.type).toBe('EnumAsStateSet');
    expect(byName.get('vmtraceVmPowerState')!.type).toBe('EnumAsInfo');
  });

  it('labels every table row with its name (lookups), never only an index', () => {
    const want: Record<string, string> = {
      vmtracePortVlanCount: 'vmtracePortName',
      vmtraceVmPowerState: 'vmtraceVmName',
      vmtraceVnicVlan: 'vmtraceVnicVmName',
      vmtraceVcenterState: 'vmtraceVcenterName',
      vmtraceNeighborTtl: 'vmtraceNeighborPort',
      vmtraceEventVlan: 'vmtraceEventKind',
    };
    for (const [metric, label] of Object.entries(want)) {
      const m = metrics.find((x) => x.name === metric)!;
      expect(m.lookups?.map((l) => l.labelname), metric).toContain(label);
    }
  });

  it('writes a config the exporter accepts, with our community in it', async () => {
    const check = await run('prometheus-snmp-exporter', [`--config.file=${gen.snmpYml}`, '--dry-run']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(readFileSync(gen.snmpYml, 'utf8')).toContain('community: test-community');
  });
});
