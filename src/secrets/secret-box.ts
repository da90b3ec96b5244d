/**
 * Camera credentials at rest: AES-256-GCM with a key from SHARPEYES_SECRET_KEY
 * (base64, 32 bytes) or a key file created on first start (mode 0600).
 * Stored form: v1.<iv b64>.<tag b64>.<ciphertext b64>
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('secret key must be 32 bytes (base64 in SHARPEYES_SECRET_KEY)');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, body] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('sealed secret: unknown format');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
  }
}

/** The key from the environment, else from `keyFile` (created with a fresh random key if missing). */
export function loadSecretBox(keyFile: string, envKey = process.env.SHARPEYES_SECRET_KEY): SecretBox {
  if (envKey) return new SecretBox(Buffer.from(envKey, 'base64'));
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return new SecretBox(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64'));
}
