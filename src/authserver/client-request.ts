// What the token, revocation and introspection endpoints share: a small form body with plain
// URLSearchParams semantics, and client authentication by the registered method (RFC 6749 §2.3).
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { constantTimeEqual, sha256 } from '../secrets.ts';
import type { Wiki } from '../store/wikis.ts';
import type { AppDeps } from '../web/deps.ts';
import { parseForm } from '../http/form.ts';
import { ClientMetadataError, type Client } from './clients.ts';

/** Catalogue "Body caps": /token and /revoke (and /introspect, which shares their reader) 8 KiB. */
export const TOKEN_BODY_LIMIT = 8 * 1024;

export type TokenError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_target' | 'invalid_scope' | 'server_error';

export function tokenError(c: Context, status: 400 | 401 | 413 | 500 | 503, error: TokenError, description: string, headers: Record<string, string> = {}): Response {
  return c.json({ error, error_description: description }, status, { 'Cache-Control': 'no-store', Pragma: 'no-cache', ...headers });
}

/**
 * Route middleware for the endpoints that read a client request: a body over the cap is a 413 before
 * the wiki is looked up or anything is parsed (catalogue IN-01). It goes by Content-Length when there
 * is one and otherwise counts while reading, so a chunked body is never buffered past the cap.
 */
export const tokenBodyLimit = bodyLimit({
  maxSize: TOKEN_BODY_LIMIT,
  onError: (c) => tokenError(c, 413, 'invalid_request', 'the request is larger than 8 KiB'),
});

/** Parses the form body with plain URLSearchParams semantics. */
async function readTokenForm(c: Context): Promise<Map<string, string> | string> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return 'the request must be application/x-www-form-urlencoded';
  // The platform's one form rule: a repeated parameter (IN-03) or one that is not clean text (IN-06) is an error.
  const form = parseForm(await c.req.text());
  return 'problem' in form ? form.problem : form;
}

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret, or both in the body. */
function presentedCredentials(c: Context, form: Map<string, string>): { clientId?: string; secret?: string; basic: boolean } {
  const header = c.req.header('authorization');
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      try {
        return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)), basic: true };
      } catch {
        return { basic: true }; // malformed percent-encoding: no credentials
      }
    }
  }
  return { clientId: form.get('client_id'), secret: form.get('client_secret'), basic: false };
}

/** The client, if the presented credentials match its registration; public clients present none. */
async function authenticateClient(deps: AppDeps, c: Context, wiki: Wiki, credentials: { clientId?: string; secret?: string }): Promise<Client | undefined> {
  if (!credentials.clientId) return undefined;
  let client: Client | undefined;
  try {
    client = await deps.clients.resolve(wiki, credentials.clientId, c);
  } catch (error) {
    if (error instanceof ClientMetadataError) return undefined;
    throw error;
  }
  if (!client) return undefined;
  if (client.secretHash === null) return credentials.secret === undefined ? client : undefined;
  return credentials.secret !== undefined && constantTimeEqual(sha256(credentials.secret), client.secretHash) ? client : undefined;
}


/** The parsed form and the authenticated client, or the error response to send (behind `tokenBodyLimit`). */
export async function readClientRequest(deps: AppDeps, c: Context, wiki: Wiki): Promise<{ form: Map<string, string>; client: Client } | Response> {
  const form = await readTokenForm(c);
  if (typeof form === 'string') return tokenError(c, 400, 'invalid_request', form);
  const credentials = presentedCredentials(c, form);
  const client = await authenticateClient(deps, c, wiki, credentials);
  if (!client) {
    return tokenError(c, 401, 'invalid_client', 'client authentication failed', credentials.basic ? { 'WWW-Authenticate': 'Basic realm="token"' } : {});
  }
  return { form, client };
}
