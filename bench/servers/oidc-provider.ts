// The peer: oidc-provider 9 configured to do the same protocol work as ours — open dynamic client
// registration, PKCE S256 required, one resource (the MCP URL) with ES256 JWT access tokens,
// rotating refresh tokens for clients registered for them, and an interaction that approves one user
// without a page — persisting to SQLite through bench/servers/sqlite-adapter.ts, or to PostgreSQL
// through bench/servers/pg-adapter.ts when the driver passes a postgres:// DATABASE_URL (./database.ts).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors } from 'oidc-provider';
import { benchDatabase } from './database.ts';
import { pgAdapter } from './pg-adapter.ts';
import { serveDriver } from './protocol.ts';
import { sqliteAdapter } from './sqlite-adapter.ts';

const USER = 'did:plc:benchbenchbenchbenchbenc';
const SCOPES = 'wiki:read wiki:write';
// The same lifetimes as ours (src/config/config.ts, src/authserver/{authorize,token}.ts).
const ACCESS_TOKEN_TTL = 4 * 60 * 60;
const CODE_TTL = 60;
const REFRESH_IDLE_TTL = 30 * 24 * 60 * 60;
const SESSION_TTL = 24 * 60 * 60;
const CONSENT_TTL = 10 * 60;

const database = await benchDatabase();
const store = database.name === 'postgres' ? await pgAdapter(database.url) : sqliteAdapter(database.url.slice('sqlite:'.length));

// The issuer URL contains the port, so listen first and attach the provider afterwards.
const server = createServer({ maxHeaderSize: 16 * 1024 });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const resource = `${issuer}/mcp`;

const signingKey = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  adapter: store.Adapter,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
  responseTypes: ['code'],
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return { scope: SCOPES, audience: resource, accessTokenTTL: ACCESS_TOKEN_TTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
      },
    },
  },
  // Ours: a client registered for refresh_token gets one with every code, and it rotates on each use;
  // tokens do not end with the browser session.
  issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  expiresWithSession: async () => false,
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    AuthorizationCode: CODE_TTL,
    RefreshToken: REFRESH_IDLE_TTL,
    Session: SESSION_TTL,
    Interaction: CONSENT_TTL,
    Grant: REFRESH_IDLE_TTL,
    IdToken: ACCESS_TOKEN_TTL,
  },
  interactions: { url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  clientBasedCORS: () => true,
});
provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error:', (error as Error).message));

/** The interaction: log the one user in, then approve exactly what was asked (one Grant). */
async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: USER } }, { mergeWithLastSubmission: false });
    return;
  }
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const grant =
    (details.grantId && (await provider.Grant.find(details.grantId))) ||
    new provider.Grant({ accountId: details.session!.accountId!, clientId: details.params.client_id! });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

const handle = provider.callback();
server.on('request', (req: IncomingMessage, res: ServerResponse) => {
  if (!req.url?.startsWith('/interaction/')) return handle(req, res);
  interaction(req, res).catch((error: unknown) => {
    console.error('interaction failed:', (error as Error).message);
    res.statusCode = 500;
    res.end();
  });
});

serveDriver({ type: 'ready', origin: issuer, issuer, resource }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store.close();
  await database.drop();
});
