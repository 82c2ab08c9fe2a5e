// What route modules receive from the composition root (src/main.ts).
import type { Config } from '../config/config.ts';
import type { Logger } from '../log.ts';
import type { AtprotoLogin } from '../atproto/login.ts';
import type { CliLogins } from '../rpc/cli-logins.ts';
import type { CookieJar } from '../http/cookies.ts';
import type { SessionService } from '../session/sessions.ts';
import type { DatabaseHandle } from '../store/database.ts';
import type { PendingSignupStore } from '../store/pending-signups.ts';
import type { UserStore } from '../store/users.ts';
import type { OAuthClientStore } from '../store/oauth-clients.ts';
import type { ClientResolver } from '../authserver/clients.ts';
import type { WikiStore } from '../store/wikis.ts';
import type { CodeStore, GrantStore } from '../store/grants.ts';
import type { RefreshTokenStore } from '../store/refresh-tokens.ts';
import type { PlatformKeys } from '../keys/keystore.ts';
import type { OAuthClientMetadataInput } from '@atproto/oauth-client-node';
import type { JWK } from 'jose';
import type { ExpectedAudience, Verification } from '../mcp/bearer.ts';
import type { WikiTokenStore } from '../store/wiki-tokens.ts';
import type { PersonalTokenStore } from '../store/personal-tokens.ts';
import type { WikiPages } from '../wiki/pages.ts';
import type { WikiAttachments } from '../wiki/attachments.ts';
import type { WikiSemanticSearch } from '../wiki/semantic-search.ts';
import type { RateLimiters } from '../http/rate-limit.ts';
import type { Metrics } from '../metrics.ts';
import type { AdminStore } from '../store/admin.ts';
import type { AccountStore } from '../store/accounts.ts';
import type { AuditEventStore } from '../store/audit-events.ts';
import type { InviteStore } from '../store/invites.ts';

export interface AppDeps {
  config: Config;
  log: Logger;
  /** Prometheus hooks (METRICS_PORT), or no-ops. */
  metrics: Metrics;
  database: DatabaseHandle;
  users: UserStore;
  pendingSignups: PendingSignupStore;
  sessions: SessionService;
  cookies: CookieJar;
  login: AtprotoLogin;
  cliLogins: CliLogins;
  wikis: WikiStore;
  pages: WikiPages;
  attachments: WikiAttachments;
  /** Hybrid search by meaning and words (wiki/semantic-search.ts): the semantic_search tool and the browser's search box. */
  semantic: WikiSemanticSearch;
  wikiTokens: WikiTokenStore;
  /** The management API's personal access tokens (src/api/). */
  personalTokens: PersonalTokenStore;
  /** Verifies a bearer token presented at a wiki's MCP endpoint (src/mcp/bearer.ts); one cache per process. */
  verifyBearer: (token: string, expected: ExpectedAudience) => Promise<Verification>;
  oauthClients: OAuthClientStore;
  clients: ClientResolver;
  grants: GrantStore;
  codes: CodeStore;
  refreshTokens: RefreshTokenStore;
  /** Derives each refresh token's successor (see authserver/token.ts). */
  refreshKey: Buffer;
  /** Signs platform sessions and access tokens. */
  platformKeys: PlatformKeys;
  /** Per-client budgets (registration, login starts, CLI logins): in memory, or shared on PostgreSQL. */
  rateLimits: RateLimiters;
  /** Published at /auth/client-metadata.json (confidential mode). */
  atprotoClientMetadata: OAuthClientMetadataInput;
  /** Public JWKS of the atproto client key (confidential mode), and of the platform keys. */
  atprotoClientJwks: { keys: JWK[] };
  /** Administration (src/admin/) and the account page (src/account/). */
  admin: AdminStore;
  invites: InviteStore;
  auditEvents: AuditEventStore;
  accounts: AccountStore;
  now: () => number;
}
