// We are an atproto OAuth CLIENT. This module builds @atproto/oauth-client-node for our two modes:
// the loopback client for a laptop install, and a confidential private_key_jwt client in production.
import {
  AtprotoHandleResolver,
  JoseKey,
  NodeOAuthClient,
  type OAuthClientMetadataInput,
} from '@atproto/oauth-client-node';
import type { JWK } from 'jose';
import type { Config } from '../config/config.ts';
import { hardenedFetch } from '../net/hardened-fetch.ts';
import { systemResolver, type Resolver } from '../net/resolver.ts';
import type { DatabaseHandle } from '../store/database.ts';
import { atprotoRequestLock, atprotoSessionStore, atprotoStateStore } from '../store/atproto-oauth.ts';

/** Identity only: we prove who the user is and ask for no repository access. */
export const ATPROTO_SCOPE = 'atproto';

export function callbackUrl(config: Config): string {
  return `${config.publicUrl}/auth/callback`;
}

export function clientMetadata(config: Config, clientKey: (JWK & { kid: string }) | undefined): OAuthClientMetadataInput {
  const redirectUri = callbackUrl(config);
  if (config.atprotoClientMode === 'loopback') {
    // atproto OAuth "Localhost Client Development": client_id is http://localhost, with the redirect
    // URI and scope as query parameters; no keys, no metadata fetch by the authorization server.
    const clientId = `http://localhost?${new URLSearchParams({ redirect_uri: redirectUri, scope: ATPROTO_SCOPE })}`;
    return {
      client_id: clientId,
      redirect_uris: [redirectUri],
      scope: ATPROTO_SCOPE,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      dpop_bound_access_tokens: true,
    };
  }
  if (!clientKey) throw new Error('a confidential client needs its signing key');
  return {
    client_id: `${config.publicUrl}/auth/client-metadata.json`,
    client_name: 'robot.wtf',
    client_uri: config.publicUrl,
    redirect_uris: [redirectUri],
    scope: ATPROTO_SCOPE,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    application_type: 'web',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    dpop_bound_access_tokens: true,
    jwks_uri: `${config.publicUrl}/auth/jwks.json`,
  };
}

export async function createAtprotoClient(
  config: Config,
  database: DatabaseHandle,
  clientKey: (JWK & { kid: string }) | undefined,
  now: () => number,
  resolver: Resolver = systemResolver,
): Promise<NodeOAuthClient> {
  const fetch = hardenedFetch(config.atproto.allowInsecure, { lookup: resolver.lookup });
  return new NodeOAuthClient({
    clientMetadata: clientMetadata(config, clientKey),
    keyset: clientKey ? [await JoseKey.fromImportable(clientKey as never, clientKey.kid)] : undefined,
    stateStore: atprotoStateStore(database.db, now),
    sessionStore: atprotoSessionStore(database.db, now),
    requestLock: atprotoRequestLock(database.db, database.dialect),
    fetch,
    allowHttp: config.atproto.allowInsecure,
    plcDirectoryUrl: config.atproto.plcDirectoryUrl,
    handleResolver: config.atproto.handleResolver ?? handleResolver(resolver),
  });
}

/**
 * DNS TXT `_atproto.{handle}`, then `https://{handle}/.well-known/atproto-did`: what the library's
 * AtprotoHandleResolverNode does (address rules always on, 3 s, small body), with our resolver.
 */
function handleResolver(resolver: Resolver): AtprotoHandleResolver {
  const fetch = hardenedFetch(false, { lookup: resolver.lookup, timeoutMs: 3_000, maxBytes: 10 * 1024 });
  return new AtprotoHandleResolver({ fetch, resolveTxt: resolver.resolveTxt });
}
