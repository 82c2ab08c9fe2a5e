// RFC 7591 dynamic client registration, open as MCP clients expect: the requested
// token_endpoint_auth_method is honoured and echoed (ChatGPT refuses anything else), a secret is
// issued only for client_secret_* methods, unknown scopes are replaced by ours, and everything else
// is validated, never broadened.
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { randomToken, sha256 } from '../secrets.ts';
import type { Wiki } from '../store/wikis.ts';
import type { RegistrationDeps } from './deps.ts';
import { jsonTextProblem } from '../http/input-text.ts';
import { requestAddress, type RateLimit } from '../http/rate-limit.ts';
import { audit } from './audit.ts';
import { clientLabel } from './client-label.ts';
import { jsonError, OAuthError } from './oauth-error.ts';
import { CLIENT_AUTH_METHODS, WIKI_SCOPES } from './metadata.ts';
import { redirectUriProblem } from './redirect-uri.ts';

/** Catalogue "Body caps": /register 16 KiB. */
export const REGISTRATION_BODY_LIMIT = 16 * 1024;
/** Registrations per client address (IPv6: per /64) per minute (catalogue DC-05). */
export const REGISTRATION_RATE_LIMIT = 20;
// Per client, never global: a global cap would let one attacker with many addresses shut registration
// for everyone; never-used registrations are swept after a day instead (src/store/sweeper.ts).
export const REGISTRATION_LIMIT: RateLimit = { bucket: 'register', limit: REGISTRATION_RATE_LIMIT, windowSeconds: 60 };

const text = (max: number) => z.string().max(max);
const httpsUrl = z.url({ protocol: /^https$/ }).max(2000);

// RFC 7591 §2. Unknown members are dropped; client_id, client_secret and friends are never taken
// from the request (catalogue DC-06).
const registrationRequest = z.object({
  redirect_uris: z.array(z.string()).min(1).max(10),
  token_endpoint_auth_method: z.enum(CLIENT_AUTH_METHODS).default('client_secret_basic'),
  grant_types: z
    .array(z.enum(['authorization_code', 'refresh_token']))
    .min(1)
    .max(2)
    .default(['authorization_code']),
  response_types: z.array(z.literal('code')).min(1).max(1).default(['code']),
  client_name: text(200).optional(),
  client_uri: httpsUrl.optional(),
  logo_uri: httpsUrl.optional(),
  scope: text(200).transform(supportedScopes).optional(),
  contacts: z.array(text(320)).max(5).optional(),
  software_id: text(200).optional(),
  software_version: text(100).optional(),
});

/**
 * RFC 7591 §2: the server may replace requested metadata and must return what it registered. The
 * scopes we know are kept; a request naming none of them (old Claude builds send `claudeai`) gets
 * all of them, which is what authorization without `scope` grants anyway. Never more than exists.
 */
function supportedScopes(requested: string): string {
  const known = WIKI_SCOPES.filter((scope) => requested.split(' ').includes(scope));
  return (known.length > 0 ? known : WIKI_SCOPES).join(' ');
}

/**
 * Route middleware: a body over the cap is a 413 before the wiki is looked up or anything is read
 * past the cap (catalogue IN-01); without Content-Length it counts while reading, so a chunked body is
 * never buffered whole.
 */
export const registrationBodyLimit = bodyLimit({
  maxSize: REGISTRATION_BODY_LIMIT,
  onError: (c) => jsonError(c, new OAuthError('invalid_client_metadata', 'the registration request is larger than 16 KiB', 413)),
});

export async function registerClient(deps: RegistrationDeps, c: Context, wiki: Wiki): Promise<Response> {
  const { oauthClients, log, now } = deps;
  const allow = deps.rateLimits(REGISTRATION_LIMIT);
  if (!(await allow(requestAddress(c, deps.config.trustedProxies)))) {
    throw new OAuthError('rate_limited', 'too many registrations from this address; retry later', 429, { 'Retry-After': '60' });
  }
  if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
    throw new OAuthError('invalid_client_metadata', 'the registration request must be application/json');
  }
  const body = await c.req.text();

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new OAuthError('invalid_client_metadata', 'the registration request is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new OAuthError('invalid_client_metadata', 'the registration request must be a JSON object');
  // IN-06: every string, unknown members' too, follows the platform's text rule (a client_name with NUL is refused).
  const textProblem = jsonTextProblem(json, 'line');
  if (textProblem) throw new OAuthError('invalid_client_metadata', `a string in the request ${textProblem}`);

  const parsed = registrationRequest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new OAuthError('invalid_client_metadata', `${issue.path.join('.') || 'request'}: ${issue.message}`);
  }
  const request = parsed.data;
  for (const uri of request.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new OAuthError('invalid_redirect_uri', `redirect_uri ${JSON.stringify(uri.slice(0, 100))} ${problem}`);
  }

  // RFC 7591 §3.2.1: the response carries the effective metadata; ids are ours (≥ 128 bits).
  const issuedAt = now();
  const clientId = `mcp_${randomToken(16)}`;
  const secret = request.token_endpoint_auth_method === 'none' ? undefined : randomToken();
  const metadata = { ...request, client_id: clientId, client_id_issued_at: issuedAt };
  await oauthClients.create({
    client_id: clientId,
    wiki_id: wiki.id,
    secret_hash: secret ? sha256(secret) : null,
    metadata: JSON.stringify(metadata),
    created_at: issuedAt,
    last_used_at: null,
  });
  const clientName = clientLabel(request.client_name, clientId);
  const authMethod = request.token_endpoint_auth_method;
  audit(log, c, 'oauth.client.registered', { wikiId: wiki.id, clientId, authMethod, clientName });
  return c.json({ ...metadata, ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}) }, 201, { 'Cache-Control': 'no-store' });
}
