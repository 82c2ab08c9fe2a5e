// Table shapes shared by both dialects. Times are epoch seconds (numbers on both databases).

export interface UsersTable {
  did: string;
  username: string;
  handle: string | null;
  created_at: number;
  updated_at: number;
  /** Set while an admin has suspended the account: no session, token or grant of it works. */
  suspended_at: number | null;
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
  /** SHA-256 of the normalised confirmation code the CLI prints and the person types (catalogue CL-03). */
  code_hash: string;
  /** Wrong codes typed on the confirmation page; at the limit the login is denied. */
  failed_attempts: number;
  /** The name the client gave itself, reduced to a safe character set; unverified. */
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
  /** 1 when anyone may read the wiki's pages without signing in (off by default). */
  anonymous_read: number;
  /** What the wiki is for, in the owner's words ('' when none); shown on the wiki and to MCP clients. */
  description: string;
  /** Set while an admin has suspended the wiki: its whole site answers that it is suspended (null or absent: not). */
  suspended_at?: number | null;
}

export type WikiRole = 'read' | 'write';

/** Collaborators; the owner is not listed here (wikis.owner_did). */
export interface WikiMembersTable {
  wiki_id: string;
  did: string;
  /** The handle as resolved when they were added, for display; null when it did not verify. */
  handle: string | null;
  role: WikiRole;
  added_at: number;
}

/** The current revision of each page. */
export interface PagesTable {
  /** Stable across renames, so history follows the page. */
  id: string;
  wiki_id: string;
  path: string;
  content: string;
  /** Counts this page's revisions from 1; writes name the one they are based on. */
  revision: number;
  /** UTF-8 bytes of `content`. */
  size: number;
  updated_at: number;
  updated_by: string;
}

export type PageAction = 'create' | 'edit' | 'rename' | 'delete';

export interface PageRevisionsTable {
  page_id: string;
  revision: number;
  wiki_id: string;
  /** The page's path as of this revision. */
  path: string;
  /** Null for a deletion. */
  content: string | null;
  action: PageAction;
  author_did: string;
  message: string | null;
  created_at: number;
}

/** Outgoing `[[wiki links]]` of each page's current revision, by target path. */
export interface PageLinksTable {
  wiki_id: string;
  from_page_id: string;
  to_path: string;
}

/** A tag or category from a page's YAML front matter, for filtering listings per wiki. */
export interface PageLabelsTable {
  wiki_id: string;
  page_id: string;
  kind: 'tag' | 'category';
  /** Lower-cased, so `Garden` and `garden` are one tag. */
  value: string;
}

/** Bytes a wiki holds (current page texts, and whatever else counts toward its limit), kept in each write. */
export interface WikiUsageTable {
  wiki_id: string;
  bytes: number;
}

/** Named bearer tokens for Claude Code and scripts, issued from the dashboard. */
export interface WikiTokensTable {
  id: string;
  wiki_id: string;
  /** The member who made it: the token acts as them, with at most their role. */
  owner_did: string;
  name: string;
  /** SHA-256 of the token; the token itself is shown once. */
  token_hash: string;
  scope: string;
  created_at: number;
  last_used_at: number | null;
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

/** One client's hits in one window of one rate limit (src/store/rate-limits.ts). */
export interface RateLimitsTable {
  /** The limit's name, e.g. `register`, `login`. */
  bucket: string;
  /** The client's address, or its /64 for IPv6 (`2001:db8:1:2::/64`). */
  address: string;
  window_start: number;
  count: number;
  /** The window's end; the sweeper deletes the row after it. */
  expires_at: number;
}

/** A person's bearer credential for the management API (/api/v1); acts as them, in every wiki they belong to. */
export interface PersonalAccessTokensTable {
  id: string;
  user_did: string;
  name: string;
  /** SHA-256 of the token; the token itself is shown once. */
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
}

/** Invite codes for SIGNUP=invite: single use, revocable, expiring. */
export interface InvitesTable {
  id: string;
  code_hash: string;
  note: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

/** Platform events the admin page lists; kept when an account is deleted. */
export interface AuditEventsTable {
  id: string;
  at: number;
  event: string;
  actor_did: string | null;
  subject: string | null;
  detail: string | null;
}

export interface Database {
  invites: InvitesTable;
  audit_events: AuditEventsTable;
  rate_limits: RateLimitsTable;
  refresh_tokens: RefreshTokensTable;
  grants: GrantsTable;
  authorization_requests: AuthorizationRequestsTable;
  authorization_codes: AuthorizationCodesTable;
  wikis: WikisTable;
  wiki_members: WikiMembersTable;
  pages: PagesTable;
  page_revisions: PageRevisionsTable;
  page_links: PageLinksTable;
  page_labels: PageLabelsTable;
  wiki_usage: WikiUsageTable;
  wiki_tokens: WikiTokensTable;
  personal_access_tokens: PersonalAccessTokensTable;
  oauth_clients: OAuthClientsTable;
  cli_logins: CliLoginsTable;
  users: UsersTable;
  platform_sessions: PlatformSessionsTable;
  atproto_states: AtprotoKvTable;
  atproto_sessions: AtprotoKvTable;
  pending_signups: PendingSignupsTable;
}
