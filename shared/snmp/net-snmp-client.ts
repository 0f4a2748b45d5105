// The slice of npm `net-snmp` the reader uses, typed here: the package ships no types, and an
// ambient `declare module` would collide with whatever the agent side declares. Loaded with
// createRequire so this file owns its types without touching the module's global name.

import { createRequire } from 'node:module';

export interface SnmpVarbind {
  oid: string;
  type: number;
  /** Buffer for OctetString/Opaque/Counter64, number for integers, string for OIDs/IP */
  value: unknown;
}

export interface SnmpV3User {
  name: string;
  level: number;
  authProtocol?: number;
  authKey?: string;
  privProtocol?: number;
  privKey?: string;
}

export interface SnmpSessionOptions {
  port: number;
  retries: number;
  timeout: number;
  transport: 'udp4' | 'udp6';
  version?: number;
  backwardsGetNexts?: boolean;
}

type Callback<T> = (error: Error | null, result: T) => void;

export interface NetSnmpSession {
  get(oids: string[], cb: Callback<SnmpVarbind[]>): void;
  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: Callback<SnmpVarbind[][]>): void;
  close(): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

export interface NetSnmpModule {
  createSession(target: string, community: string, options: SnmpSessionOptions): NetSnmpSession;
  createV3Session(target: string, user: SnmpV3User, options: SnmpSessionOptions): NetSnmpSession;
  isVarbindError(vb: SnmpVarbind): boolean;
  Version2c: number;
  Version3: number;
  /** name → number (and, as net-snmp builds it, number → name too) */
  ObjectType: Record<
    | 'Boolean' | 'Integer' | 'OctetString' | 'Null' | 'OID' | 'IpAddress' | 'Counter' | 'Gauge' | 'TimeTicks'
    | 'Opaque' | 'Counter64' | 'NoSuchObject' | 'NoSuchInstance' | 'EndOfMibView',
    number
  >;
  SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  AuthProtocols: Record<'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>;
  PrivProtocols: Record<'des' | 'aes' | 'aes256b' | 'aes256r', number>;
  ErrorStatus: Record<string, number>;
  RequestTimedOutError: new (...args: never[]) => Error;
  RequestFailedError: new (...args: never[]) => Error & { status: number };
  ResponseInvalidError: new (...args: never[]) => Error & { code: number };
  ResponseInvalidCode: Record<string, number>;
}

const require = createRequire(import.meta.url);
export const netSnmp = require('net-snmp') as NetSnmpModule;
