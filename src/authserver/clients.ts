// Who a client_id names: a registration made here (RFC 7591), or an https URL whose Client ID
// Metadata Document describes the client (draft-ietf-oauth-client-id-metadata-document, used by MCP
// clients when metadata has client_id_metadata_document_supported). Documents are fetched with the
// hardened fetch (no redirects, size and time limits, public addresses only) and cached.
import type { Context } from 'hono';
import { ExpiringCache } from '../cache.ts';
import type { Logger } from '../log.ts';
import type { OAuthClientStore } from '../store/oauth-clients.ts';
import type { Wiki } from '../store/wikis.ts';
import { audit } from './audit.ts';
import { clientLabel } from './client-label.ts';
import { redirectUriProblem } from './redirect-uri.ts';

export interface Client {
  clientId: string;
  /** SHA-256 of the secret for client_secret_* clients; null for public clients. */
  secretHash: string | null;
  redirectUris: string[];
  /** For display: the client's own name with hidden characters made visible (./client-label.ts). */
  clientName: string;
  grantTypes: string[];
  /** For metadata-document clients: the host that vouches for the client's identity. */
  verifiedHost?: string;
  /**
   * For registered clients: when the registration was first used (null: never), so the first code
   * redemption notes it and later ones write nothing (catalogue DC-05). Absent for metadata documents.
   */
  lastUsedAt?: number | null;
}

/** How a connected app is named on the dashboard: its registered name, or its document's host. */
export function connectedAppName(clientId: string, registeredMetadata: string | null): string {
  const metadata = registeredMetadata ? (JSON.parse(registeredMetadata) as { client_name?: unknown }) : undefined;
  return clientLabel(metadata?.client_name, URL.canParse(clientId) ? new URL(clientId).host : clientId);
}

export class ClientMetadataError extends Error {
  override name = 'ClientMetadataError';
}

export interface ClientResolver {
  /**
   * The client, or undefined when the id names none; throws ClientMetadataError for a bad document.
   * `c` is the request on whose behalf a document may be fetched, for the audit trail.
   */
  resolve(wiki: Wiki, clientId: string, c: Context): Promise<Client | undefined>;
}

const DOCUMENT_MAX_BYTES = 64 * 1024;
const CACHE_MIN_SECONDS = 60;
const CACHE_MAX_SECONDS = 24 * 60 * 60;
const CACHE_DEFAULT_SECONDS = 5 * 60;
const CACHE_ENTRIES = 1_000;

function isDocumentUrl(clientId: string, allowInsecure: boolean): boolean {
  return clientId.startsWith('https://') || (allowInsecure && clientId.startsWith('http://'));
}

/** The draft's rules for the URL itself: a path, and no fragment, credentials or dot segments. */
export function documentUrlProblem(clientId: string): string | undefined {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'the client_id is not a URL';
  }
  if (url.href !== clientId) return 'the client_id is not in normalised form';
  if (url.pathname === '/' || url.hash || url.username || url.password || /\/\.\.?(\/|$)/.test(clientId))
    return 'the client_id URL must have a path and no fragment, credentials or dot segments';
  return undefined;
}

/**
 * draft-ietf-oauth-client-id-metadata-document-01: a successful response has the content type
 * `application/json` or `application/<type>+json`, and the AS MUST treat any other as an error, so an
 * HTML page (a login wall, a parked domain) is never taken for client metadata.
 */
export function isJsonMediaType(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

export function cacheSeconds(cacheControl: string | null): number {
  if (cacheControl && /no-store|no-cache/.test(cacheControl)) return CACHE_MIN_SECONDS;
  const maxAge = /max-age=(\d+)/.exec(cacheControl ?? '')?.[1];
  const seconds = maxAge === undefined ? CACHE_DEFAULT_SECONDS : Number(maxAge);
  return Math.min(CACHE_MAX_SECONDS, Math.max(CACHE_MIN_SECONDS, seconds));
}

export function parseDocument(clientId: string, body: unknown): Client {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ClientMetadataError('the metadata document is not a JSON object');
  const document = body as Record<string, unknown>;
  if (document.client_id !== clientId) throw new ClientMetadataError('the metadata document names a different client_id');
  if ('client_secret' in document || 'client_secret_expires_at' in document)
    throw new ClientMetadataError('a metadata document must not carry a client secret');
  const method = document.token_endpoint_auth_method ?? 'none';
  if (method !== 'none') throw new ClientMetadataError('metadata-document clients must use token_endpoint_auth_method none');
  const redirectUris = document.redirect_uris;
  if (
    !Array.isArray(redirectUris) ||
    redirectUris.length === 0 ||
    redirectUris.length > 10 ||
    !redirectUris.every((uri) => typeof uri === 'string' && !redirectUriProblem(uri))
  ) {
    throw new ClientMetadataError('the metadata document has missing or invalid redirect_uris');
  }
  const grantTypes = Array.isArray(document.grant_types)
    ? document.grant_types.filter((g): g is string => g === 'authorization_code' || g === 'refresh_token')
    : ['authorization_code'];
  const host = new URL(clientId).host;
  const clientName = clientLabel(document.client_name, host);
  return { clientId, secretHash: null, redirectUris, clientName, grantTypes, verifiedHost: host };
}

export function clientResolver(options: {
  clients: OAuthClientStore;
  fetch: typeof globalThis.fetch;
  allowInsecure: boolean;
  log: Logger;
  now: () => number;
}): ClientResolver {
  const cache = new ExpiringCache<string, Client>(CACHE_ENTRIES);

  async function fetchDocument(wiki: Wiki, clientId: string, c: Context): Promise<Client> {
    const problem = documentUrlProblem(clientId);
    if (problem) throw new ClientMetadataError(problem);
    let response: Response;
    try {
      // A metadata document is served directly: any redirect fails (catalogue SS-03).
      response = await options.fetch(clientId, { redirect: 'error', headers: { accept: 'application/json' } });
    } catch (error) {
      audit(options.log, c, 'oauth.client.metadata_failed', { wikiId: wiki.id, clientId, err: { message: (error as Error).message } });
      throw new ClientMetadataError('the client metadata document could not be fetched');
    }
    const refusal =
      response.status !== 200
        ? `answered ${response.status}`
        : !isJsonMediaType(response.headers.get('content-type'))
          ? 'is not served as application/json'
          : undefined;
    if (refusal) {
      await response.body?.cancel();
      throw new ClientMetadataError(`the client metadata document ${refusal}`);
    }
    const text = await response.text();
    if (Buffer.byteLength(text) > DOCUMENT_MAX_BYTES) throw new ClientMetadataError('the client metadata document is too large');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ClientMetadataError('the client metadata document is not JSON');
    }
    const client = parseDocument(clientId, body);
    cache.set(clientId, client, options.now() + cacheSeconds(response.headers.get('cache-control')));
    audit(options.log, c, 'oauth.client.metadata_fetched', { wikiId: wiki.id, clientId });
    return client;
  }

  return {
    async resolve(wiki, clientId, c) {
      if (isDocumentUrl(clientId, options.allowInsecure)) {
        return cache.get(clientId, options.now()) ?? fetchDocument(wiki, clientId, c);
      }
      const row = await options.clients.find(wiki.id, clientId);
      if (!row) return undefined;
      type Registered = { client_name?: unknown; redirect_uris: string[]; grant_types?: string[] };
      const metadata = JSON.parse(row.metadata) as Registered;
      return {
        clientId: row.client_id,
        secretHash: row.secret_hash,
        redirectUris: metadata.redirect_uris,
        clientName: clientLabel(metadata.client_name, row.client_id),
        grantTypes: metadata.grant_types ?? ['authorization_code'],
        lastUsedAt: row.last_used_at,
      };
    },
  };
}
