// The config contract (DESIGN §4): every problem named with its key path and line.

import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfigText, parseDuration } from '../../agent/config/load.js';

let dir: string;
const EXAMPLE = new URL('../../packaging/config/agent.yaml', import.meta.url);

function secret(name: string, value: string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, value);
  chmodSync(p, mode);
  return p;
}

const minimal = (extra = '') => `switch: leaf1
ports:
  include: ["swp*"]
driver:
  kind: ovsdb
${extra}`;

function problems(text: string) {
  return checkConfigText(text, join(dir, 'agent.yaml')).problems;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmt-cfg-'));
  secret('vcenter.secret', 'pw');
  secret('snmp.community', 's3cret-community');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config', () => {
  it('accepts the documented example config', () => {
    const file = join(dir, 'example.yaml');
    copyFileSync(EXAMPLE, file);
    const { problems: p, config } = checkConfigText(readFileSync(file, 'utf8'), file);
    expect(p).toEqual([]);
    expect(config!.policy.networks.map).toEqual([
      { pattern: 'prod-web', vlan: 110 },
      { pattern: 'dvpg-db*', vlan: 120 },
    ]);
    expect(config!.policy.overrides['Ethernet9']!.neighbor).toEqual({ host: 'esx-09.example', nics: ['vmnic2'] });
    expect(config!.policy.defaults.pruneHoldDownMs).toBe(300_000);
    expect(config!.policy.allowedVlans).toEqual([{ from: 2, to: 4093 }]);
  });

  it('applies sane defaults to a minimal config', () => {
    const { config } = checkConfigText(minimal(), join(dir, 'a.yaml'));
    expect(config!.policy).toMatchObject({ mode: 'enforce', maxRemovalsPerPlan: 20, maxVlanMembers: 4000, protectedVlans: [1] });
    expect(config!.policy.defaults).toMatchObject({ staticVlans: [1], maxVlans: 500, pruneHoldDownMs: 300_000, adopt: false });
    expect(config!.raw.driver.endpoint).toBe('unix:/var/run/openvswitch/db.sock');
  });

  it('names an unknown key with its path and line', () => {
    expect(problems(minimal('colour: blue\n'))).toEqual([{ path: 'colour', line: 6, message: 'unknown key' }]);
    const p = problems(`switch: x\nports:\n  include: ["a"]\n  defaults:\n    staticVlan: [1]\ndriver: { kind: ovsdb }\n`);
    expect(p).toEqual([{ path: 'ports.defaults.staticVlan', line: 5, message: 'unknown key' }]);
  });

  it('reports every bad value at once: wrong types, VLAN ids and ranges, durations', () => {
    const p = problems(`switch: leaf1
ports:
  include: ["swp*"]
  defaults: { staticVlans: [1, 5000], pruneHoldDown: soon }
allowedVlans: ["20-10", "abc"]
maxRemovalsPerPlan: many
driver:
  kind: netconf
`);
    const paths = p.map((x) => `${x.line} ${x.path}`);
    expect(paths).toEqual(
      expect.arrayContaining(['4 ports.defaults.staticVlans[1]', '4 ports.defaults.pruneHoldDown', '5 allowedVlans[0]', '5 allowedVlans[1]', '6 maxRemovalsPerPlan', '8 driver.kind']),
    );
    expect(p.find((x) => x.path === 'allowedVlans[0]')!.message).toMatch(/backwards/);
  });

  it('reports broken YAML with its line', () => {
    const p = problems('switch: leaf1\nports: [\n  include\n');
    expect(p[0]!.path).toBe('(yaml)');
    expect(p[0]!.line).toBeGreaterThan(1);
  });

  it('refuses a vCenter with neither thumbprint nor caFile, duplicate names, and world-readable secrets', () => {
    const loose = secret('loose.secret', 'pw', 0o644);
    const p = problems(
      minimal(`vcenters:
  - { name: vc1, url: "https://vc/sdk", username: u, passwordFile: ${loose} }
  - { name: vc1, url: "https://vc2/sdk", username: u, passwordFile: vcenter.secret, thumbprint: "${'AB:'.repeat(31)}AB" }
`),
    );
    const msgs = p.map((x) => `${x.path}: ${x.message}`).join('\n');
    expect(msgs).toMatch(/vcenters\[0\]: set thumbprint or caFile/);
    expect(msgs).toMatch(/vcenters\[1\]\.name: duplicate vCenter name/);
    // secrets are checked once the shape is valid
    const p2 = problems(minimal(`vcenters:\n  - { name: vc1, url: "https://vc/sdk", username: u, passwordFile: ${loose}, thumbprint: "${'AB'.repeat(32)}" }\n`));
    expect(p2).toEqual([{ path: 'vcenters[0].passwordFile', line: 7, message: expect.stringMatching(/readable by others .*chmod 600/) }]);
  });

  it('refuses the "public" community and a missing secret file', () => {
    secret('public.community', 'public');
    const p = problems(
      minimal(`snmp:
  listen: udp:127.0.0.1:16100
  communities:
    - { communityFile: public.community, from: 127.0.0.1/32 }
    - { communityFile: nowhere.community, from: 127.0.0.1/32 }
`),
    );
    expect(p.map((x) => x.message)).toEqual([expect.stringMatching(/"public"/), expect.stringMatching(/cannot read/)]);
  });

  it('refuses overrides for ports no include glob opts in, and glob syntax it does not support', () => {
    const p = problems(`switch: leaf1
ports:
  include: ["swp*", "Ethernet{1,2}"]
  overrides:
    mgmt0: { staticVlans: [1] }
driver: { kind: ovsdb }
`);
    expect(p.map((x) => `${x.line} ${x.path}: ${x.message}`)).toEqual([
      expect.stringMatching(/^3 ports\.include\[1\]: braces are not supported/),
      expect.stringMatching(/^5 ports\.overrides\.mgmt0: "mgmt0" matches no ports\.include glob/),
    ]);
  });

  it('names a missing required key as missing', () => {
    expect(problems('switch: leaf1\nports: { include: ["swp*"] }\n')).toEqual([{ path: 'driver', line: 1, message: 'missing (required)' }]);
  });

  it('a dry-run driver puts the agent in dry-run mode whatever `mode` says', () => {
    const { config } = checkConfigText('switch: a\nports: { include: ["x"] }\ndriver: { kind: dry-run }\n', join(dir, 'd.yaml'));
    expect(config!.policy.mode).toBe('dry-run');
  });

  it('parses durations', () => {
    expect(parseDuration('300s', 0)).toBe(300_000);
    expect(parseDuration('5m', 0)).toBe(300_000);
    expect(parseDuration('250ms', 0)).toBe(250);
    expect(parseDuration(2, 0)).toBe(2000);
  });
});
