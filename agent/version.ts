// The version operators see (`vmtrace --version`, SNMP vmtraceVersion), read from package.json.

import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vmtrace' && pkg.version) return pkg.version;
    } catch {
      // try the next location: source tree and dist/ differ by one level
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
