// The store's public face: agent/main.ts opens it; nothing else imports agent/store internals.
export { Store, storePath, type StoreBatch, type StoreOptions } from './store.js';
export { SCHEMA_VERSION } from './migrations.js';
