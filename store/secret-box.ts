/**
 * Secrets at rest (webhook signing secrets): sealed with AES-256-GCM under SECRETS_ENCRYPTION_KEY, bound to the record
 * they belong to, so that a copy of the store alone gives none of them away and a sealed secret moved to another
 * record does not open. A sealed value names its key (`v1.<key id>.<iv>.<tag>.<ciphertext>`), so that the previous keys
 * (SECRETS_ENCRYPTION_OLD_KEYS) still open what they sealed while `npm run secrets:reseal` moves it to the current one.
 * A value stored before secrets were sealed is read as it is.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT = 'v1';

export class SecretKeyMissingError extends Error {}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: string | undefined;

  /** `current` seals (none: secrets are kept as given); every key opens what it sealed. */
  constructor(current: Buffer | undefined, previous: Buffer[] = []) {
    this.keys = new Map([...(current ? [current] : []), ...previous].map((key) => [keyId(key), key]));
    this.currentId = current ? keyId(current) : undefined;
  }

  /** Whether new secrets are sealed. */
  get sealing(): boolean {
    return this.currentId !== undefined;
  }

  seal(secret: string, recordId: string): string {
    if (this.currentId === undefined) return secret;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv).setAAD(Buffer.from(recordId));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [FORMAT, this.currentId, iv, cipher.getAuthTag(), sealed]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(stored: string, recordId: string): string {
    if (!stored.startsWith(`${FORMAT}.`)) return stored;
    const [, id, iv, tag, sealed] = stored.split('.');
    const key = this.keys.get(id ?? '');
    if (!key) {
      throw new SecretKeyMissingError(
        `The secret of ${recordId} was sealed with key ${id}, which neither SECRETS_ENCRYPTION_KEY nor SECRETS_ENCRYPTION_OLD_KEYS holds.`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'))
      .setAAD(Buffer.from(recordId))
      .setAuthTag(Buffer.from(tag!, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed!, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Whether a stored value is sealed under the current key (else `npm run secrets:reseal` seals it again). */
  isCurrent(stored: string): boolean {
    return this.currentId !== undefined && stored.startsWith(`${FORMAT}.${this.currentId}.`);
  }
}

/** The box of the configured keys. */
export function secretBoxOf(config: { secrets: { key?: Buffer; oldKeys: Buffer[] } }): SecretBox {
  return new SecretBox(config.secrets.key, config.secrets.oldKeys);
}
