// The two primitives every secret we hand out goes through: stored as a hash, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** base64url(SHA-256(value)): how tokens, nonces and CLI secrets are stored and committed to. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** A 256-bit random token, URL-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Equality that takes the same time wherever the strings differ (only their length leaks). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
