// Our atproto OAuth client's metadata, for both modes: the loopback client for a laptop install, and a
// confidential private_key_jwt client in production. Kept apart from ./client.ts so that startup can
// publish and check the metadata without loading the OAuth client library (it loads at the first login).
import type { OAuthClientMetadataInput } from '@atproto/oauth-client-node';
import { assertOAuthDiscoverableClientId, assertOAuthLoopbackClientId, oauthClientMetadataSchema } from '@atproto/oauth-types';
import type { JWK } from 'jose';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../config/env.ts';

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

/**
 * At startup, the checks NodeOAuthClient's constructor makes of our metadata (its
 * validateClientMetadata, with @atproto/oauth-types' schemas), so that a PUBLIC_URL the atproto
 * profile refuses — an IP address for a confidential client, say — stops `robot serve` instead of
 * the first login. The rest of that check concerns the keyset, which the key store already validated.
 */
export function assertValidClientMetadata(metadata: OAuthClientMetadataInput): void {
  try {
    const { client_id: clientId = '' } = oauthClientMetadataSchema.parse(metadata);
    if (clientId.startsWith('http:')) assertOAuthLoopbackClientId(clientId);
    else assertOAuthDiscoverableClientId(clientId);
  } catch (error) {
    throw new ConfigError(`PUBLIC_URL: not usable for our atproto OAuth client (${metadata.client_id}): ${(error as Error).message}`);
  }
}
