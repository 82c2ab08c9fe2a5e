// Invite codes (SIGNUP=invite): 16 characters of Crockford's base32, 80 random bits, shown in groups
// of four. Typed by people, so reading one forgives case, spaces, hyphens and the look-alike letters
// Crockford's alphabet leaves out (I and L read as 1, O as 0). Stored as the SHA-256 of the clean form.
import { randomBytes } from 'node:crypto';
import { sha256 } from '../secrets.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 16;

export function newInviteCode(): { code: string; hash: string } {
  const bytes = randomBytes(LENGTH);
  // 256 is a multiple of 32, so taking each byte modulo 32 keeps every character equally likely.
  const clean = Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]).join('');
  return { code: clean.match(/.{4}/g)!.join('-'), hash: sha256(clean) };
}

/** The hash an invite code is stored under, or null when the input cannot be a code. */
export function inviteCodeHash(input: string): string | null {
  const clean = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (clean.length !== LENGTH || [...clean].some((character) => !ALPHABET.includes(character))) return null;
  return sha256(clean);
}
