// Debian's prometheus-snmp-exporter, configured by the generator from our packaging config,
// scrapes the real standalone agent: a metric for every readable column and counter of
// VMTRACE-MIB, names and other text as labels (never hex), values as the view holds them.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, generatorConfig, mibDir, readableObjects, startExporter, type Exporter } from '../helpers/prometheus.js';
import { startAgent, type RunningAgent } from '../helpers/show-agent.js';
import { sampleStatus, viewOf } from '../helpers/show-view.js';

const data = sampleStatus();
let dir: string;
let agent: RunningAgent | undefined;
let exporter: Exporter | undefined;
let body: string;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples (comments skipped; label values unescaped). */
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metric line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

let samples: Sample[];
const find = (name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prom-exp-'));
  agent = await startAgent(viewOf(data));
  generatorConfig(dir, agent.community);
  const gen = await generate(dir, mibDir(dir));
  if (gen.code !== 0 || gen.warnings.length > 0) throw new Error(`generator: ${gen.output}`);
  exporter = await startExporter(gen.snmpYml);
  const res = await fetch(`${exporter.url}/snmp?target=${agent.address}&module=vmtrace`);
  body = await res.text();
  if (!res.ok) throw new Error(`scrape failed ${res.status}: ${body}\n${exporter.log()}`);
  samples = parseMetrics(body);
});

afterAll(async () => {
  await exporter?.stop();
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('prometheus-snmp-exporter scraping the standalone agent', () => {
  it('the scrape itself succeeded', () => {
    expect(find('snmp_scrape_pdus_returned')[0]?.value).toBeGreaterThan(10);
    // the exporter logs a failed or partial scrape ("Error scraping target", a bad value): 0.21 at info
    expect(exporter!.log().split('\n').filter((l) => /level=(warn|error)|Error scraping| err=/.test(l))).toEqual([]);
  });

  it('returns a metric for every readable column and scalar (bitmaps: their text twins)', () => {
    const names = new Set(samples.map((s) => s.name));
    const missing: string[] = [];
    for (const o of readableObjects()) {
      if (o.syntax === 'VmtraceVlanBitmap') {
        expect(names.has(o.name), `${o.name} should be left out`).toBe(false);
        expect(names.has(`${o.name.replace(/Vlans$/, 'VlanList')}`), `${o.name}'s text twin`).toBe(true);
        continue;
      }
      // EnumAsInfo objects come as NAME_info
      if (!names.has(o.name) && !names.has(`${o.name}_info`)) missing.push(o.name);
    }
    expect(missing).toEqual([]);
  });

  it('shows counters as counters with their values, Counter64 beyond 2^32 included', () => {
    expect(body).toMatch(/^# TYPE vmtraceVlanAdds counter$/m);
    expect(find('vmtraceVlanAdds')[0]?.value).toBe(17);
    expect(find('vmtraceMalformedFrames')[0]?.value).toBe(5_000_000_123);
    expect(find('vmtracePlansRefused')[0]?.value).toBe(1);
  });

  it('puts text in labels, as text: names, hosts, VLAN lists, MACs, enums', () => {
    expect(find('vmtraceSwitchName', { vmtraceSwitchName: 'leaf1' })).toHaveLength(1);
    // the lookup names every port row
    expect(find('vmtracePortVlanCount', { vmtracePortIfIndex: '3', vmtracePortName: 'swp3' })[0]?.value).toBe(24);
    expect(find('vmtracePortMissingCount', { vmtracePortName: 'swp3' })[0]?.value).toBe(1);
    expect(find('vmtracePortNeighborHost', { vmtracePortName: 'swp3', vmtracePortNeighborHost: 'esx-01.lab' })).toHaveLength(1);
    expect(find('vmtracePortVlanList', { vmtracePortName: 'swp3', vmtracePortVlanList: '1,110,120,200-220' })).toHaveLength(1);
    expect(find('vmtracePortState', { vmtracePortName: 'swp4', vmtracePortState: 'frozen' })[0]?.value).toBe(1);
    expect(find('vmtracePortState', { vmtracePortName: 'swp4', vmtracePortState: 'ok' })[0]?.value).toBe(0);
    expect(find('vmtraceVmPowerState_info', { vmtraceVmName: 'web-01', vmtraceVmPowerState: 'poweredOn' })).toHaveLength(1);
    expect(find('vmtraceVmName', { vmtraceVmName: 'db-01 (ünïcode)' })).toHaveLength(1);
    expect(find('vmtraceVnicVlan', { vmtraceVnicVmName: 'web-01', vmtraceVnicMac: '00:50:56:AA:BB:01' })[0]?.value).toBe(110);
    expect(find('vmtraceVcenterState', { vmtraceVcenterName: 'vc2', vmtraceVcenterState: 'disconnected' })[0]?.value).toBe(1);
    expect(find('vmtraceNeighborTtl', { vmtraceNeighborPort: 'swp4' })[0]?.value).toBe(180);
    expect(find('vmtraceVtepRemoteVteps', { vmtraceVtepRemoteVteps: '198.51.100.11,198.51.100.12' })).toHaveLength(1);
    expect(find('vmtraceEventMessage', { vmtraceEventKind: 'limit-reached', vmtraceEventMessage: 'maxVlans 23 reached' })).toHaveLength(1);
  });

  it('has no hex anywhere: no label value and no metric is an octet dump', () => {
    const hex = samples.flatMap((s) => Object.entries(s.labels).filter(([, v]) => /^0x[0-9a-f]+$/i.test(v)).map(([k, v]) => `${s.name} ${k}=${v}`));
    expect(hex).toEqual([]);
  });
});

describe('prometheus-snmp-exporter with SNMPv3 authPriv (the generator.yml v3 variant)', () => {
  it('scrapes the agent with SHA256 + AES and gets the same metrics', async () => {
    const v3dir = mkdtempSync(join(tmpdir(), 'prom-v3-'));
    let v3exporter: Exporter | undefined;
    try {
      generatorConfig(v3dir, { username: agent!.v3.user, password: agent!.v3.authKey, priv_password: agent!.v3.privKey });
      const gen = await generate(v3dir, mibDir(v3dir));
      expect(gen.warnings).toEqual([]);
      expect(gen.code, gen.output).toBe(0);
      v3exporter = await startExporter(gen.snmpYml);
      const res = await fetch(`${v3exporter.url}/snmp?target=${agent!.address}&module=vmtrace`);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const v3samples = parseMetrics(text);
      expect(new Set(v3samples.map((s) => s.name))).toEqual(new Set(samples.map((s) => s.name)));
      expect(v3samples.find((s) => s.name === 'vmtracePortVlanCount' && s.labels.vmtracePortName === 'swp3')?.value).toBe(24);
    } finally {
      await v3exporter?.stop();
      rmSync(v3dir, { recursive: true, force: true });
    }
  });
});
