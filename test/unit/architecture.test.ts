// The dependency rule of DESIGN §2, checked by scanning imports: the core imports only itself
// and repo shared/; adapters never import each other; only the composition root wires them.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a file, resolved to repo paths; bare package names kept as they are. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2]!;
    out.push(spec.startsWith('.') ? relative(ROOT, resolve(dirname(file), spec)) : spec);
  }
  return out;
}

/** The adapter a repo path belongs to, or null when it is not one. */
function adapterOf(path: string): string | null {
  const m = /^agent\/(controller|drivers|store|snmp|sources\/[^/]+)\//.exec(path);
  return m ? m[1]! : null;
}

const NODE_BUILTINS = /^node:/;
/** Contracts adapters may name: the driver interface the controller drives. */
const CONTRACTS = new Set(['agent/drivers/driver.js']);

describe('dependency rule', () => {
  it('agent/core imports only itself, repo shared/ and no package or builtin (no I/O)', () => {
    const bad: string[] = [];
    for (const f of files(join(ROOT, 'agent/core'))) {
      for (const i of imports(f)) {
        const ok = i.startsWith('agent/core/') || i.startsWith('shared/');
        if (!ok) bad.push(`${relative(ROOT, f)} → ${i}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('adapters do not import each other (only the core, shared/, the logger and packages)', () => {
    const bad: string[] = [];
    for (const f of files(join(ROOT, 'agent'))) {
      const rel = relative(ROOT, f);
      const own = adapterOf(rel);
      if (!own) continue;
      for (const i of imports(f)) {
        if (!i.startsWith('agent/') || CONTRACTS.has(i)) continue;
        const other = adapterOf(i + (i.endsWith('.js') ? '' : '/'));
        if (other && other !== own) bad.push(`${rel} → ${i}`);
        if (i.startsWith('agent/main') || i.startsWith('agent/cli/') || i.startsWith('agent/app/')) bad.push(`${rel} → ${i}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('repo shared/ imports nothing from agent/ or tui/', () => {
    const bad: string[] = [];
    for (const f of files(join(ROOT, 'shared'))) {
      for (const i of imports(f)) if (i.startsWith('agent/') || i.startsWith('tui/')) bad.push(`${relative(ROOT, f)} → ${i}`);
    }
    expect(bad).toEqual([]);
  });

  it('the scanner sees imports (it is not vacuous)', () => {
    const seen = imports(join(ROOT, 'agent/main.ts'));
    expect(seen).toContain('agent/core/facts.js');
    expect(seen.filter((i) => NODE_BUILTINS.test(i)).length).toBeGreaterThan(0);
    expect(adapterOf('agent/sources/lldp/capture.ts')).toBe('sources/lldp');
  });
});
