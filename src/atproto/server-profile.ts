// The atproto OAuth profile an authorization server must meet before we send it anything
// (catalogue AT-07). @atproto/oauth-client checks the metadata's shape, but not these promises.
export interface AuthServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  pushed_authorization_request_endpoint?: string;
  require_pushed_authorization_requests?: boolean;
  code_challenge_methods_supported?: string[];
  dpop_signing_alg_values_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  scopes_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  client_id_metadata_document_supported?: boolean;
}

/** The first way `metadata` falls short of the atproto profile, or undefined when it meets it. */
export function atprotoProfileProblem(metadata: AuthServerMetadata, options: { authMethod: string; allowHttp: boolean }): string | undefined {
  const has = (list: string[] | undefined, value: string) => Array.isArray(list) && list.includes(value);
  if (metadata.require_pushed_authorization_requests !== true || !metadata.pushed_authorization_request_endpoint)
    return 'pushed authorization requests are not required';
  if (!has(metadata.code_challenge_methods_supported, 'S256')) return 'PKCE S256 is not supported';
  if (!has(metadata.dpop_signing_alg_values_supported, 'ES256')) return 'DPoP with ES256 is not supported';
  if (metadata.authorization_response_iss_parameter_supported !== true) return 'the iss response parameter (RFC 9207) is not supported';
  if (!has(metadata.scopes_supported, 'atproto')) return 'the atproto scope is not supported';
  if (!has(metadata.token_endpoint_auth_methods_supported, options.authMethod)) return `client authentication ${options.authMethod} is not supported`;
  if (metadata.client_id_metadata_document_supported !== true) return 'client ID metadata documents are not supported';
  const endpoints = [metadata.issuer, metadata.authorization_endpoint, metadata.token_endpoint, metadata.pushed_authorization_request_endpoint];
  if (!options.allowHttp && endpoints.some((endpoint) => !endpoint.startsWith('https://'))) return 'an endpoint is not https';
  return undefined;
}
