// SNMPv3 User-based Security Model (RFC 3414, RFC 7860 for SHA-2, RFC 3826 for AES): key
// localisation, HMAC authentication and AES-128-CFB privacy, with node:crypto. Keys are derived
// once per user at start (the 1 MB password hash is slow by design) and never logged.

import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type AuthProtocol = 'sha1' | 'sha256';
export type PrivProtocol = 'aes128';

export interface UsmUserConfig {
  name: string;
  auth: AuthProtocol;
  /** passphrase (at least 8 characters), as net-snmp's -A */
  authKey: string;
  priv: PrivProtocol;
  /** passphrase (at least 8 characters), as net-snmp's -X */
  privKey: string;
}

export interface LocalizedUser {
  name: string;
  auth: AuthProtocol;
  authKey: Buffer;
  privKey: Buffer;
}

/** Truncated HMAC length on the wire: HMAC-96-SHA-1 and HMAC-192-SHA-256. */
export function digestLength(auth: AuthProtocol): number {
  return auth === 'sha1' ? 12 : 24;
}

/** RFC 3414 A.2: hash of the passphrase repeated to 1 MB. */
export function passwordToKey(auth: AuthProtocol, password: string): Buffer {
  if (password.length < 8) throw new RangeError('SNMPv3 passphrases need at least 8 characters');
  // Buffer.alloc with a fill value repeats it: exactly the RFC's 1,048,576-octet stream.
  return createHash(auth).update(Buffer.alloc(1_048_576, Buffer.from(password, 'utf8'))).digest();
}

export function localizeKey(auth: AuthProtocol, ku: Buffer, engineId: Buffer): Buffer {
  return createHash(auth).update(ku).update(engineId).update(ku).digest();
}

export function localizeUser(cfg: UsmUserConfig, engineId: Buffer): LocalizedUser {
  const authKey = localizeKey(cfg.auth, passwordToKey(cfg.auth, cfg.authKey), engineId);
  const privKey = localizeKey(cfg.auth, passwordToKey(cfg.auth, cfg.privKey), engineId).subarray(0, 16);
  return { name: cfg.name, auth: cfg.auth, authKey, privKey };
}

export function computeDigest(auth: AuthProtocol, key: Buffer, wholeMessage: Buffer): Buffer {
  return createHmac(auth, key).update(wholeMessage).digest().subarray(0, digestLength(auth));
}

/**
 * Checks the digest found at `offset` (length digestLength) of `message`: recomputes it over
 * the message with that field zeroed. Works on a copy, the input is not changed.
 */
export function verifyDigest(auth: AuthProtocol, key: Buffer, message: Buffer, offset: number): boolean {
  const len = digestLength(auth);
  if (offset < 0 || offset + len > message.length) return false;
  const received = Buffer.from(message.subarray(offset, offset + len));
  const copy = Buffer.from(message);
  copy.fill(0, offset, offset + len);
  return timingSafeEqual(received, computeDigest(auth, key, copy));
}

function aesIv(boots: number, time: number, salt: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(boots >>> 0, 0);
  iv.writeUInt32BE(time >>> 0, 4);
  salt.copy(iv, 8, 0, 8);
  return iv;
}

export function aesDecrypt(key: Buffer, boots: number, time: number, salt: Buffer, data: Buffer): Buffer {
  if (salt.length !== 8) throw new RangeError('AES privacy parameters must be 8 octets');
  const d = createDecipheriv('aes-128-cfb', key, aesIv(boots, time, salt));
  return Buffer.concat([d.update(data), d.final()]);
}

export function aesEncrypt(key: Buffer, boots: number, time: number, data: Buffer): { salt: Buffer; data: Buffer } {
  const salt = randomBytes(8);
  const c = createCipheriv('aes-128-cfb', key, aesIv(boots, time, salt));
  return { salt, data: Buffer.concat([c.update(data), c.final()]) };
}
