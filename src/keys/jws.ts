// Compact JWS (RFC 7515 §7.1) with ES256 (RFC 7518 §3.4), signed synchronously by node:crypto. jose
// signs through WebCrypto, which cost ~90 µs and an async hop per token on the token endpoint's hot
// path against ~30 µs here (docs/benchmarks.md). Verification stays with jose.
import { sign, type KeyObject } from 'node:crypto';

const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

export function signEs256(key: KeyObject, header: { kid: string; typ: string }, payload: object): string {
  const input = `${encode({ alg: 'ES256', ...header })}.${encode(payload)}`;
  // RFC 7518 §3.4: the signature is R || S (64 bytes), not DER.
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
