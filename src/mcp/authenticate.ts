// Who a bearer token speaks for at one wiki: a token the verifier accepts for this wiki's issuer,
// MCP URL and id, held by someone who is a member today, with its scopes narrowed to that member's
// role. The MCP endpoint authenticates with this, and the issuer's introspection endpoint (RFC 7662)
// answers with it, so introspection never calls a token active that the MCP endpoint refuses.
import type { Wiki } from '../store/wikis.ts';
import type { Config } from '../config/config.ts';
import type { WikiStore } from '../store/wikis.ts';
import { READ_SCOPE, roleOf, scopesOf, WRITE_SCOPE } from '../wiki/access.ts';
import { wikiUrls } from '../wiki/urls.ts';
import type { ExpectedAudience, Verification, VerifiedToken } from './bearer.ts';
import type { Caller } from './endpoint.ts';

/** `wiki:write` includes reading: a client that stepped up to it must not lose read access. */
export function allows(scopes: string[], needed: string): boolean {
  return scopes.includes(needed) || (needed === READ_SCOPE && scopes.includes(WRITE_SCOPE));
}

export type Authentication = (Caller & { token: VerifiedToken }) | { rejected: string };

/** What authenticating a bearer token uses: the wiki's URLs, the verifier, and members' roles. */
export interface AuthenticateDeps {
  config: Pick<Config, 'publicUrl' | 'wikiDomain'>;
  verifyBearer: (token: string, expected: ExpectedAudience) => Promise<Verification>;
  wikis: Pick<WikiStore, 'member'>;
}

export async function authenticateBearer(deps: AuthenticateDeps, wiki: Wiki, token: string): Promise<Authentication> {
  const urls = wikiUrls(deps.config, wiki.slug);
  const verified = await deps.verifyBearer(token, { issuer: urls.issuer, audience: urls.mcp, wikiId: wiki.id });
  if ('rejected' in verified) return verified;
  // Read on every request: removing a collaborator or lowering their role takes effect at once.
  const role = await roleOf(deps.wikis, wiki, verified.subject);
  if (!role) return { rejected: 'whoever holds this token is not a member of this wiki' };
  // A token never allows more than its holder's role does today.
  const scopes = scopesOf(role).filter((scope) => allows(verified.scopes, scope));
  return { subject: verified.subject, scopes, token: verified };
}
