// Discovery documents for one wiki: RFC 8414 authorization-server metadata (the wiki is the issuer)
// and RFC 9728 protected-resource metadata for its MCP endpoint. Built from configuration and the
// wiki registry only, never from request headers (catalogue PR-02).
import type { Wiki } from '../store/wikis.ts';
import { WIKI_SCOPES } from '../wiki/access.ts';
import type { WikiUrls } from '../wiki/urls.ts';

export { WIKI_SCOPES };
export const CLIENT_AUTH_METHODS = ['none', 'client_secret_post', 'client_secret_basic'] as const;

export function authorizationServerMetadata(urls: WikiUrls) {
  return {
    issuer: urls.issuer,
    authorization_endpoint: urls.authorize,
    token_endpoint: urls.token,
    registration_endpoint: urls.register,
    revocation_endpoint: urls.revoke,
    introspection_endpoint: urls.introspect,
    jwks_uri: urls.jwks,
    scopes_supported: [...WIKI_SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // MCP clients use Client ID Metadata Documents only when this is true and `none` is offered.
    client_id_metadata_document_supported: true,
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
  };
}

export function protectedResourceMetadata(urls: WikiUrls, wiki: Wiki) {
  return {
    resource: urls.mcp,
    authorization_servers: [urls.issuer],
    scopes_supported: [...WIKI_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: wiki.display_name,
  };
}
