// The vCenter source's public face: what agent/main.ts and the CLI use. SOAP types stay inside.
export { startVcenterSource, checkVcenter, type VcenterSource, type VcenterSourceOptions } from './source.js';
export { DEFAULT_TIMEOUTS, type VcenterConfig, type VcenterTimeouts } from './session.js';
export { normalizeThumbprint } from './tls.js';
