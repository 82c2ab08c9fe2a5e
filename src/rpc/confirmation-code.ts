// The code `robot login` prints in the terminal and the person types on the confirmation page
// (catalogue CL-03). Typing it, rather than comparing a code the page shows, is what ties the approval
// to the terminal in front of the person: a phishing link carries no code, and the page shows none
// (RFC 8628 §5.4 describes the remote-phishing attack this narrows).
import { randomInt } from 'node:crypto';
import { constantTimeEqual, sha256 } from '../secrets.ts';

/** No 0/O or 1/I: read off a terminal and typed by hand. 32^8 = 2^40 codes. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** Longer input is no code of ours; it is cut before any work is done on it. */
const MAX_TYPED = 64;

export function newConfirmationCode(): string {
  const group = () => Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${group()}-${group()}`;
}

/** What is compared: upper case, without the dashes and spaces people add or drop while typing. */
export function normalizeCode(typed: string): string {
  return typed
    .slice(0, MAX_TYPED)
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\p{Pd}]/gu, '');
}

/** How the code is stored: hashed like every other secret we hand out. */
export function codeHash(code: string): string {
  return sha256(normalizeCode(code));
}

export function codeMatches(typed: string, storedHash: string): boolean {
  return constantTimeEqual(codeHash(typed), storedHash);
}
