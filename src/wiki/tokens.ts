// The bearer tokens the dashboard issues for Claude Code and scripts: a recognisable prefix (so a
// leaked one can be found by secret scanners and told apart from an OAuth JWT), 256 random bits.
import { randomToken, sha256 } from '../secrets.ts';

export const WIKI_TOKEN_PREFIX = 'rwt_';

export function newWikiToken(): { token: string; hash: string } {
  const token = `${WIKI_TOKEN_PREFIX}${randomToken()}`;
  return { token, hash: sha256(token) };
}

export function isWikiToken(token: string): boolean {
  return token.startsWith(WIKI_TOKEN_PREFIX);
}
