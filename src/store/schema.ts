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

export interface Database {
  users: UsersTable;
  platform_sessions: PlatformSessionsTable;
  atproto_states: AtprotoKvTable;
  atproto_sessions: AtprotoKvTable;
  pending_signups: PendingSignupsTable;
}
