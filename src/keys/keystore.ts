// Signing keys on disk: generated on first start, or given as JWK files. Rotation keeps a retired
// key's public half in the JWKS until every token it signed has expired (catalogue AS-01).
import { createPrivateKey, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { z } from 'zod';

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

const privateEcJwk = z.looseObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1).optional(),
});

const platformKeyFile = z.object({
  keys: z.array(z.object({ kid: z.string().min(1), privateJwk: privateEcJwk, createdAt: z.number(), retiredAt: z.number().nullable() })).min(1),
});

type PlatformKeyRecord = z.infer<typeof platformKeyFile>['keys'][number];

export interface SigningKey {
  kid: string;
  /** A node:crypto key: tokens are signed synchronously (src/keys/jws.ts). */
  privateKey: KeyObject;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface PlatformKeys {
  /** The key new tokens are signed with. */
  active: SigningKey;
  /** Every key whose tokens may still be live: the JWKS, and what verification accepts. */
  published: SigningKey[];
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y'] as const;

/** The public members of an EC key, as published in a JWKS (catalogue AS-01, DP-05). */
export function publicPart(jwk: JWK, kid: string): JWK {
  const out: JWK = { kid, use: 'sig', alg: 'ES256' };
  for (const member of PUBLIC_MEMBERS) out[member] = jwk[member] as string;
  return out;
}

async function newPrivateJwk(): Promise<{ kid: string; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  // RFC 7638 thumbprint: a kid derived from the key, so two keys can never share one.
  const kid = await calculateJwkThumbprint(privateJwk);
  return { kid, privateJwk: { ...privateJwk, kid } };
}

function writeSecretFile(file: string, content: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

function readJsonFile(file: string): unknown | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError(`cannot read key file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KeyFileError(`key file ${file} is not valid JSON`);
  }
}

async function toSigningKey(kid: string, privateJwk: JWK): Promise<SigningKey> {
  const publicJwk = publicPart(privateJwk, kid);
  const privateKey = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' });
  const publicKey = (await importJWK(publicJwk, 'ES256')) as CryptoKey;
  return { kid, privateKey, publicKey, publicJwk };
}

/** The atproto client's private_key_jwt key (ES256), as a private JWK with a kid. */
export async function loadOrCreateAtprotoClientKey(file: string): Promise<JWK & { kid: string }> {
  const existing = readJsonFile(file);
  if (existing === undefined) {
    const { privateJwk } = await newPrivateJwk();
    writeSecretFile(file, privateJwk);
    return privateJwk as JWK & { kid: string };
  }
  const parsed = privateEcJwk.safeParse(existing);
  if (!parsed.success) throw new KeyFileError(`key file ${file} is not a private ES256 (P-256) JWK`);
  const kid = parsed.data.kid ?? (await calculateJwkThumbprint(parsed.data as JWK));
  return { ...(parsed.data as JWK), kid };
}

function readPlatformKeyRecords(file: string): PlatformKeyRecord[] | undefined {
  const existing = readJsonFile(file);
  if (existing === undefined) return undefined;
  const parsed = platformKeyFile.safeParse(existing);
  if (!parsed.success) throw new KeyFileError(`key file ${file} is not a platform key set ({"keys":[{kid, privateJwk, createdAt, retiredAt}]})`);
  return parsed.data.keys;
}

async function newPlatformKeyRecord(now: number): Promise<PlatformKeyRecord> {
  const { kid, privateJwk } = await newPrivateJwk();
  return { kid, privateJwk: privateJwk as PlatformKeyRecord['privateJwk'], createdAt: now, retiredAt: null };
}

/**
 * Loads the platform signing keys, creating the file on first start. `maxTokenLifetime` (seconds,
 * including clock skew) decides how long a retired key stays published.
 */
export async function loadOrCreatePlatformKeys(file: string, maxTokenLifetime: number, now = nowSeconds()): Promise<PlatformKeys> {
  let records = readPlatformKeyRecords(file);
  if (!records) {
    records = [await newPlatformKeyRecord(now)];
    writeSecretFile(file, { keys: records });
  }
  const live = records.filter((record) => record.retiredAt === null || record.retiredAt + maxTokenLifetime > now);
  const activeRecord = live.find((record) => record.retiredAt === null);
  if (!activeRecord) throw new KeyFileError(`key file ${file} has no active (unretired) key; run \`robot keys rotate\``);
  const published = await Promise.all(live.map((record) => toSigningKey(record.kid, record.privateJwk)));
  return { active: published.find((key) => key.kid === activeRecord.kid)!, published };
}

/** Retires the active key, adds a new one, and forgets keys whose tokens have all expired. */
export async function rotatePlatformKeys(file: string, maxTokenLifetime: number, now = nowSeconds()): Promise<{ retired: string[]; active: string }> {
  const records = readPlatformKeyRecords(file) ?? [];
  const retired = records.filter((record) => record.retiredAt === null).map((record) => record.kid);
  const kept = records
    .map((record) => (record.retiredAt === null ? { ...record, retiredAt: now } : record))
    .filter((record) => record.retiredAt! + maxTokenLifetime > now);
  const fresh = await newPlatformKeyRecord(now);
  writeSecretFile(file, { keys: [...kept, fresh] });
  return { retired, active: fresh.kid };
}

/** A 256-bit server secret kept in a file (0600), created on first start. */
export function loadOrCreateSecret(file: string): Buffer {
  const existing = readJsonFile(file) as { secret?: unknown } | undefined;
  if (existing === undefined) {
    const secret = randomBytes(32);
    writeSecretFile(file, { secret: secret.toString('base64url') });
    return secret;
  }
  if (typeof existing.secret !== 'string' || Buffer.from(existing.secret, 'base64url').length !== 32) {
    throw new KeyFileError(`key file ${file} is not a secret ({"secret": 32 bytes base64url})`);
  }
  return Buffer.from(existing.secret, 'base64url');
}

/** jose key lookup by `kid` among published public keys; an unknown kid fails verification. */
export function keyByKid(publicKeys: Map<string, CryptoKey>): (header: { kid?: string }) => Promise<CryptoKey> {
  return async (header) => {
    const key = header.kid ? publicKeys.get(header.kid) : undefined;
    if (!key) throw new Error('unknown kid');
    return key;
  };
}

/** The JWKS documents publish: every platform key whose tokens may still be live. */
export function publishedJwks(keys: PlatformKeys): { keys: JWK[] } {
  return { keys: keys.published.map((key) => key.publicJwk) };
}

/** kid → public key of every published platform key. */
export function publicKeysByKid(keys: PlatformKeys): Map<string, CryptoKey> {
  return new Map(keys.published.map((key) => [key.kid, key.publicKey]));
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
