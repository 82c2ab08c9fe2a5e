// What the authorization server's handlers use, and nothing else: each handler names the stores, keys
// and configuration it needs, so none of them can reach the database or an unrelated service
// (docs/architecture.md). The composition root's AppDeps satisfies every one of these.
import type { Config } from '../config/config.ts';
import type { PlatformKeys } from '../keys/keystore.ts';
import type { Logger } from '../log.ts';
import type { ExpectedAudience, Verification } from '../mcp/bearer.ts';
import type { SessionService } from '../session/sessions.ts';
import type { CodeStore, GrantStore } from '../store/grants.ts';
import type { OAuthClientStore } from '../store/oauth-clients.ts';
import type { RefreshTokenStore } from '../store/refresh-tokens.ts';
import type { WikiStore } from '../store/wikis.ts';
import type { RateLimiters } from '../http/rate-limit.ts';
import type { ClientResolver } from './clients.ts';

/** Every issuer handler: where the wiki's URLs come from, the audit log, the clock. */
export interface IssuerDeps {
  config: Config;
  log: Logger;
  now: () => number;
}

/** The token, revocation and introspection endpoints authenticate a client first. */
export interface ClientRequestDeps extends IssuerDeps {
  clients: ClientResolver;
}

export interface AuthorizeDeps extends ClientRequestDeps {
  sessions: Pick<SessionService, 'current'>;
  wikis: Pick<WikiStore, 'member'>;
  grants: Pick<GrantStore, 'findActive' | 'issueCode' | 'approveWithCode' | 'saveRequest' | 'findRequest' | 'takeRequest'>;
}

export interface TokenDeps extends ClientRequestDeps {
  codes: Pick<CodeStore, 'find' | 'redeem'>;
  refreshTokens: RefreshTokenStore;
  /** Signs access tokens. */
  platformKeys: PlatformKeys;
  /** Derives each refresh token's successor (./token.ts). */
  refreshKey: Buffer;
}

export interface RevocationDeps extends ClientRequestDeps {
  refreshTokens: Pick<RefreshTokenStore, 'find'>;
  codes: Pick<CodeStore, 'revokeGrant'>;
  /** Access tokens are read as the MCP endpoint reads them (src/mcp/authenticate.ts). */
  wikis: WikiStore;
  verifyBearer: (token: string, expected: ExpectedAudience) => Promise<Verification>;
}

export interface RegistrationDeps extends IssuerDeps {
  oauthClients: Pick<OAuthClientStore, 'create'>;
  rateLimits: RateLimiters;
}
