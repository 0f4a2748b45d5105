// Copies the non-TypeScript files the compiled agent reads at run time into dist/, so dist/
// (and the .deb built from it) works without the source tree: our vSphere WSDL/XSD and the MIB.
import { cpSync, mkdirSync } from 'node:fs';

const assets = [
  ['agent/sources/vcenter/wsdl', 'dist/agent/sources/vcenter/wsdl'],
  ['shared/mib/VMTRACE-MIB.txt', 'dist/shared/mib/VMTRACE-MIB.txt'],
];
for (const [from, to] of assets) {
  mkdirSync(to.endsWith('.txt') ? to.slice(0, to.lastIndexOf('/')) : to, { recursive: true });
  cpSync(from, to, { recursive: true });
}
