// lab.json in the lab dir: what `up` built, for status, vmotion and down (which also copes
// without it: every name derives from --prefix).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LabHost } from './net.js';

export interface LabState {
  prefix: string;
  dir: string;
  createdAt: string;
  hosts: LabHost[];
  bridge: string;
  ovsDir: string;
  switchName: string;
  holdDownS: number;
  vcenter?: { url: string; thumbprint: string; control: string; username: string };
  agent?: { config: string; log: string; snmp: string; communityFile: string; cli: string[] };
}

export function readState(file: string): LabState | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabState;
  } catch {
    return null;
  }
}

export function writeState(file: string, s: LabState): void {
  writeFileSync(file, JSON.stringify(s, null, 2) + '\n', { mode: 0o644 });
}
