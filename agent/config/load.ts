// Reads and validates the agent's YAML config. Every problem is reported with its key path and
// line, all at once (`vmtrace config check`), then turned into one VmtraceError.

import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { VmtraceError } from '../../shared/errors.js';
import { parseVlanRanges, rangesToList, normalizeRanges } from '../../shared/vlan.js';
import type { VlanId, VlanRange } from '../../shared/model.js';
import type { PortPolicy, Policy } from '../core/types.js';
import { configSchema, type RawConfig } from './schema.js';
import { matchesAny } from '../core/glob.js';

export interface ConfigProblem {
  /** dotted key path, e.g. `ports.overrides.Ethernet7.staticVlans[1]` */
  path: string;
  line: number | null;
  message: string;
}

export interface AgentConfig {
  file: string;
  raw: RawConfig;
  policy: Policy;
}

type PathPart = string | number;

function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(top level)' : out;
}

/** Line of the deepest node of `path` that exists in the document. */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: readonly PathPart[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    // a key whose value is null/scalar-less: find the pair's key
  }
  return null;
}

function keyLine(doc: ReturnType<typeof parseDocument>, lc: LineCounter, parent: readonly PathPart[], key: string): number | null {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  const items = (map as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items;
  const pair = items?.find((it) => it.key?.value === key);
  if (pair?.key?.range) return lc.linePos(pair.key.range[0]).line;
  return lineOf(doc, lc, parent);
}

/** Parses and checks a config text; returns the problems (empty = valid) and the parsed value. */
export function checkConfigText(text: string, file: string): { problems: ConfigProblem[]; config: AgentConfig | null } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const e of doc.errors) {
    problems.push({ path: '(yaml)', line: lc.linePos(e.pos[0]).line, message: e.message.split('\n')[0] ?? e.message });
  }
  if (problems.length) return { problems, config: null };
  const value: unknown = doc.toJS();
  const parsed = configSchema.safeParse(value ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as PathPart[];
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) problems.push({ path: formatPath([...path, k]), line: keyLine(doc, lc, path, k), message: 'unknown key' });
      } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
        problems.push({ path: formatPath(path), line: lineOf(doc, lc, path), message: 'missing (required)' });
      } else {
        problems.push({ path: formatPath(path), line: lineOf(doc, lc, path), message: issue.message });
      }
    }
    return { problems: sortProblems(problems), config: null };
  }
  const raw = parsed.data;
  const base = dirname(resolve(file));
  checkPorts(raw, problems, (path) => lineOf(doc, lc, path));
  checkSecrets(raw, base, problems, (path) => lineOf(doc, lc, path));
  if (problems.length) return { problems: sortProblems(problems), config: null };
  return { problems, config: { file, raw, policy: toPolicy(raw) } };
}

function sortProblems(p: ConfigProblem[]): ConfigProblem[] {
  return p.sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9));
}

export function resolvePath(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

/** Port names and globs: overrides must name an opted-in port; glob syntax we do not support is refused. */
function checkPorts(raw: RawConfig, problems: ConfigProblem[], line: (p: PathPart[]) => number | null): void {
  raw.ports.include.forEach((g, i) => {
    if (/[{}]/.test(g)) problems.push({ path: `ports.include[${i}]`, line: line(['ports', 'include', i]), message: `braces are not supported in "${g}": list each glob` });
  });
  for (const name of Object.keys(raw.ports.overrides ?? {})) {
    if (!matchesAny(name, raw.ports.include))
      problems.push({ path: `ports.overrides.${name}`, line: line(['ports', 'overrides', name]), message: `"${name}" matches no ports.include glob: this override would never apply` });
  }
}

/** Secrets live in files only readable by their owner; "public" is never a community. */
function checkSecrets(raw: RawConfig, base: string, problems: ConfigProblem[], line: (p: PathPart[]) => number | null): void {
  const secret = (path: PathPart[], file: string): string | null => {
    const abs = resolvePath(base, file);
    let mode: number;
    try {
      mode = statSync(abs).mode;
    } catch {
      problems.push({ path: formatPath(path), line: line(path), message: `cannot read ${abs}` });
      return null;
    }
    if (mode & 0o077) {
      problems.push({
        path: formatPath(path),
        line: line(path),
        message: `${abs} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
      });
      return null;
    }
    try {
      return readFileSync(abs, 'utf8').trim();
    } catch {
      problems.push({ path: formatPath(path), line: line(path), message: `cannot read ${abs}` });
      return null;
    }
  };
  raw.vcenters.forEach((v, i) => {
    secret(['vcenters', i, 'passwordFile'], v.passwordFile);
    if (v.caFile) {
      try {
        statSync(resolvePath(base, v.caFile));
      } catch {
        problems.push({ path: `vcenters[${i}].caFile`, line: line(['vcenters', i, 'caFile']), message: `cannot read ${v.caFile}` });
      }
    }
  });
  raw.snmp?.communities?.forEach((c, i) => {
    const value = secret(['snmp', 'communities', i, 'communityFile'], c.communityFile);
    if (value !== null && (value === '' || value.toLowerCase() === 'public'))
      problems.push({
        path: `snmp.communities[${i}].communityFile`,
        line: line(['snmp', 'communities', i, 'communityFile']),
        message: 'the community must not be empty or "public"',
      });
  });
  raw.snmp?.users?.forEach((u, i) => {
    for (const k of ['authKeyFile', 'privKeyFile'] as const) {
      const value = secret(['snmp', 'users', i, k], u[k]);
      if (value !== null && value.length < 8)
        problems.push({ path: `snmp.users[${i}].${k}`, line: line(['snmp', 'users', i, k]), message: 'a USM key needs at least 8 characters' });
    }
  });
  raw.snmp?.traps?.forEach((t, i) => {
    if (t.communityFile) secret(['snmp', 'traps', i, 'communityFile'], t.communityFile);
    if (!t.communityFile && !t.user)
      problems.push({ path: `snmp.traps[${i}]`, line: line(['snmp', 'traps', i]), message: 'set communityFile (v2c) or user (v3)' });
    if (t.user && !raw.snmp?.users?.some((u) => u.name === t.user))
      problems.push({ path: `snmp.traps[${i}].user`, line: line(['snmp', 'traps', i, 'user']), message: `no snmp user "${t.user}"` });
  });
}

function vlans(items: (number | string)[] | undefined): VlanId[] {
  return rangesToList(vlanRanges(items));
}

function vlanRanges(items: (number | string)[] | undefined): VlanRange[] {
  const out: VlanRange[] = [];
  for (const it of items ?? []) {
    if (typeof it === 'number') out.push({ from: it, to: it });
    else out.push(...parseVlanRanges(it));
  }
  return normalizeRanges(out);
}

export function parseDuration(d: number | string | undefined, fallbackMs: number): number {
  if (d === undefined) return fallbackMs;
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(d);
  if (!m) return fallbackMs;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}

export function toPolicy(raw: RawConfig): Policy {
  const d = raw.ports.defaults ?? {};
  const defaults: PortPolicy = {
    staticVlans: vlans(d.staticVlans ?? [1]),
    maxVlans: d.maxVlans ?? 500,
    pruneHoldDownMs: parseDuration(d.pruneHoldDown, 300_000),
    adopt: d.adopt ?? false,
    neighbor: null,
  };
  const overrides: Record<string, Partial<PortPolicy>> = {};
  for (const [name, o] of Object.entries(raw.ports.overrides ?? {})) {
    const p: Partial<PortPolicy> = {};
    if (o.staticVlans) p.staticVlans = vlans(o.staticVlans);
    if (o.maxVlans !== undefined) p.maxVlans = o.maxVlans;
    if (o.pruneHoldDown !== undefined) p.pruneHoldDownMs = parseDuration(o.pruneHoldDown, defaults.pruneHoldDownMs);
    if (o.adopt !== undefined) p.adopt = o.adopt;
    if (o.neighbor) p.neighbor = { host: o.neighbor.host, nics: o.neighbor.nics };
    overrides[name] = p;
  }
  return {
    switchName: raw.switch,
    // a dry-run driver writes nothing whatever `mode` says: report the mode that is in effect
    mode: raw.mode === 'dry-run' || raw.driver.kind === 'dry-run' ? 'dry-run' : 'enforce',
    include: raw.ports.include,
    defaults,
    overrides,
    networks: {
      default: raw.networks?.default ?? 'portgroup',
      map: Object.entries(raw.networks?.map ?? {}).map(([pattern, vlan]) => ({ pattern, vlan })),
      ignore: raw.networks?.ignore ?? [],
    },
    allowedVlans: raw.allowedVlans ? vlanRanges(raw.allowedVlans) : [{ from: 2, to: 4093 }],
    protectedVlans: vlans(raw.protectedVlans ?? [1]),
    maxRemovalsPerPlan: raw.maxRemovalsPerPlan,
    maxVlanMembers: raw.maxVlanMembers,
    vcenters: raw.vcenters.map((v) => v.name),
    overlay: raw.overlay ?? null,
  };
}

/** Loads a config file; throws one VmtraceError listing every problem. */
export function loadConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new VmtraceError('CONFIG_UNREADABLE', `cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  const { problems, config } = checkConfigText(text, file);
  if (!config) throw new VmtraceError('CONFIG_INVALID', formatProblems(file, problems));
  return config;
}

export function formatProblems(file: string, problems: ConfigProblem[]): string {
  return problems.map((p) => `${file}${p.line === null ? '' : `:${p.line}`}: ${p.path}: ${p.message}`).join('\n');
}

/** Reads a secret file that load-time checks have already vetted. */
export function readSecret(base: string, file: string): string {
  return readFileSync(resolvePath(base, file), 'utf8').trim();
}
