/**
 * Secrets at rest (signing-key HMAC secrets): AES-256-GCM under the server's master key. The
 * database stores only `v1.<base64(iv | tag | ciphertext)>`; a wrong master key or a tampered
 * envelope fails authentication instead of yielding a wrong secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealSecret(masterKey: Buffer, secret: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

export function openSecret(masterKey: Buffer, envelope: string): Buffer {
  const [version, payload] = envelope.split('.', 2);
  if (version !== VERSION || payload === undefined) throw new Error('unknown secret envelope format');
  const raw = Buffer.from(payload, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}
