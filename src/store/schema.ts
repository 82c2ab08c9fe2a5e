// Table shapes shared by both dialects. Times are epoch seconds (numbers on both databases).

export interface UsersTable {
  did: string;
  username: string;
  handle: string | null;
  created_at: number;
  updated_at: number;
}

export interface PlatformSessionsTable {
  sid: string;
  did: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** Key/value rows for the atproto OAuth client's state and session stores. */
export interface AtprotoKvTable {
  key: string;
  value: string;
  expires_at: number | null;
}

export interface PendingSignupsTable {
  token_hash: string;
  did: string;
  handle: string | null;
  csrf: string;
  return_to: string | null;
  expires_at: number;
}

export type CliLoginStatus = 'pending' | 'signing_up' | 'authenticated' | 'confirmed' | 'delivered' | 'denied';

export interface CliLoginsTable {
  /** The session id the CLI holds; not a secret (it names the login in URLs and logs). */
  id: string;
  /** SHA-256 of the CLI's own secret, which AwaitLogin must present (catalogue CL-02). */
  secret_hash: string;
  confirmation_code: string;
  client_name: string;
  client_address: string;
  status: CliLoginStatus;
  did: string | null;
  handle: string | null;
  /** SHA-256 of the cookie binding the confirmation page to the browser that signed in. */
  browser_hash: string | null;
  csrf: string | null;
  created_at: number;
  /** Pending: the login deadline. Confirmed: the end of the delivery grace period. */
  expires_at: number;
}

export interface WikisTable {
  id: string;
  slug: string;
  owner_did: string;
  display_name: string;
  created_at: number;
}

export interface OAuthClientsTable {
  client_id: string;
  wiki_id: string;
  /** SHA-256 of the client secret, for client_secret_post / client_secret_basic clients. */
  secret_hash: string | null;
  /** The effective registered metadata (RFC 7591 §3.2.1 response body, without secrets), JSON. */
  metadata: string;
  created_at: number;
  last_used_at: number | null;
}

export interface GrantsTable {
  id: string;
  wiki_id: string;
  client_id: string;
  user_did: string;
  /** Space-separated scopes the user approved. */
  scope: string;
  created_at: number;
  revoked_at: number | null;
}

export interface AuthorizationRequestsTable {
  id: string;
  wiki_id: string;
  client_id: string;
  user_did: string;
  redirect_uri: string;
  state: string | null;
  code_challenge: string;
  scope: string;
  resource: string;
  csrf: string;
  expires_at: number;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  grant_id: string;
  wiki_id: string;
  client_id: string;
  user_did: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  resource: string;
  expires_at: number;
  consumed_at: number | null;
  validly_consumed_at: number | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  family_id: string;
  grant_id: string;
  wiki_id: string;
  client_id: string;
  user_did: string;
  scope: string;
  resource: string;
  family_started_at: number;
  expires_at: number;
  rotated_at: number | null;
}

export interface Database {
  refresh_tokens: RefreshTokensTable;
  grants: GrantsTable;
  authorization_requests: AuthorizationRequestsTable;
  authorization_codes: AuthorizationCodesTable;
  wikis: WikisTable;
  oauth_clients: OAuthClientsTable;
  cli_logins: CliLoginsTable;
  users: UsersTable;
  platform_sessions: PlatformSessionsTable;
  atproto_states: AtprotoKvTable;
  atproto_sessions: AtprotoKvTable;
  pending_signups: PendingSignupsTable;
}
