// Who calls the management API: a bearer token only (Authorization header, RFC 6750 §2.1), either
// the credential `robot login` stores (a `cli+jwt` with a live session record) or a personal access
// token (`rpt_…`, stored hashed). The browser's session cookie is never read here, so a page on any
// origin cannot make a signed-in browser act through the API (no CSRF surface).
import type { Context } from 'hono';
import { randomToken, sha256 } from '../secrets.ts';
import type { SessionService } from '../session/sessions.ts';
import type { PersonalTokenStore } from '../store/personal-tokens.ts';
import { ApiProblem } from './problem.ts';

export const PERSONAL_TOKEN_PREFIX = 'rpt_';

export type Credential = { kind: 'cli'; sid: string } | { kind: 'personal'; id: string };

export interface Caller {
  did: string;
  credential: Credential;
}

export interface CredentialDeps {
  sessions: Pick<SessionService, 'cliBearer'>;
  personalTokens: Pick<PersonalTokenStore, 'findByHash' | 'touch'>;
  now: () => number;
}

export function newPersonalToken(): { token: string; hash: string } {
  const token = `${PERSONAL_TOKEN_PREFIX}${randomToken()}`;
  return { token, hash: sha256(token) };
}

const missing = () => new ApiProblem(401, 'unauthorized', 'Send a bearer token: the credential robot login stores, or a personal access token.');
const invalid = () =>
  new ApiProblem(401, 'invalid_token', 'The bearer token is not valid: it is unknown, expired or revoked. Log in again or make a new token.');

/** The caller of this request, or a 401 problem. */
export async function authenticate(deps: CredentialDeps, c: Context): Promise<Caller> {
  const header = c.req.header('authorization');
  if (!header) throw missing();
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header);
  if (!match) throw missing();
  const token = match[1]!;
  const now = deps.now();
  if (token.startsWith(PERSONAL_TOKEN_PREFIX)) {
    const found = await deps.personalTokens.findByHash(sha256(token));
    if (!found) throw invalid();
    await deps.personalTokens.touch(found.id, now);
    return { did: found.user_did, credential: { kind: 'personal', id: found.id } };
  }
  const claims = await deps.sessions.cliBearer(token, now);
  if (!claims) throw invalid();
  return { did: claims.sub, credential: { kind: 'cli', sid: claims.sid } };
}
