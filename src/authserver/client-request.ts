// What the token, revocation and introspection endpoints share: a small form body with plain
// URLSearchParams semantics, and client authentication by the registered method (RFC 6749 §2.3).
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { constantTimeEqual, sha256 } from '../secrets.ts';
import type { Wiki } from '../store/wikis.ts';
import { parseForm } from '../http/form.ts';
import { ClientMetadataError, type Client, type ClientResolver } from './clients.ts';
import type { ClientRequestDeps } from './deps.ts';
import { jsonError, OAuthError } from './oauth-error.ts';

/** Catalogue "Body caps": /token and /revoke (and /introspect, which shares their reader) 8 KiB. */
export const TOKEN_BODY_LIMIT = 8 * 1024;

/**
 * Route middleware for the endpoints that read a client request: a body over the cap is a 413 before
 * the wiki is looked up or anything is parsed (catalogue IN-01). It goes by Content-Length when there
 * is one and otherwise counts while reading, so a chunked body is never buffered past the cap.
 */
export const tokenBodyLimit = bodyLimit({
  maxSize: TOKEN_BODY_LIMIT,
  onError: (c) => jsonError(c, new OAuthError('invalid_request', 'the request is larger than 8 KiB', 413)),
});

/** Parses the form body with plain URLSearchParams semantics. */
async function readTokenForm(c: Context): Promise<Map<string, string>> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
    throw new OAuthError('invalid_request', 'the request must be application/x-www-form-urlencoded');
  // The platform's one form rule: a repeated parameter (IN-03) or one that is not clean text (IN-06) is an error.
  const form = parseForm(await c.req.text());
  if ('problem' in form) throw new OAuthError('invalid_request', form.problem);
  return form;
}

export interface Credentials {
  clientId?: string;
  secret?: string;
  /** Whether HTTP Basic was used (a failure then answers with `WWW-Authenticate: Basic`). */
  basic: boolean;
}

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret, or both in the body. */
export function presentedCredentials(header: string | undefined, form: Map<string, string>): Credentials {
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
export async function authenticateClient(
  clients: ClientResolver,
  c: Context,
  wiki: Wiki,
  credentials: Omit<Credentials, 'basic'>,
): Promise<Client | undefined> {
  if (!credentials.clientId) return undefined;
  let client: Client | undefined;
  try {
    client = await clients.resolve(wiki, credentials.clientId, c);
  } catch (error) {
    if (error instanceof ClientMetadataError) return undefined;
    throw error;
  }
  if (!client) return undefined;
  if (client.secretHash === null) return credentials.secret === undefined ? client : undefined;
  return credentials.secret !== undefined && constantTimeEqual(sha256(credentials.secret), client.secretHash) ? client : undefined;
}

/** The parsed form and the authenticated client (behind `tokenBodyLimit`); throws OAuthError otherwise. */
export async function readClientRequest(deps: ClientRequestDeps, c: Context, wiki: Wiki): Promise<{ form: Map<string, string>; client: Client }> {
  const form = await readTokenForm(c);
  const credentials = presentedCredentials(c.req.header('authorization'), form);
  const client = await authenticateClient(deps.clients, c, wiki, credentials);
  if (!client) {
    // RFC 6749 §5.2: a client that tried Basic is told which scheme to use.
    throw new OAuthError('invalid_client', 'client authentication failed', 401, credentials.basic ? { 'WWW-Authenticate': 'Basic realm="token"' } : {});
  }
  return { form, client };
}
