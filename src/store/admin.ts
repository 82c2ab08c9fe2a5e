// What the admin page reads and changes: every user and wiki with their sizes, and suspension.
// Suspension is a flag every credential check reads (platform-sessions.ts, grants.ts, wiki-tokens.ts,
// the wiki site in authserver/routes.ts), so it takes effect on the next request.
import type { StoreDb } from './database.ts';

export interface UserOverview {
  did: string;
  username: string;
  handle: string | null;
  created_at: number;
  suspended_at: number | null;
  wikis: number;
}

export interface WikiOverview {
  id: string;
  slug: string;
  display_name: string;
  owner_did: string;
  owner_username: string | null;
  created_at: number;
  suspended_at: number | null;
  pages: number;
  /** UTF-8 bytes of current page text. */
  bytes: number;
}

export interface AdminStore {
  /** Newest first, at most `limit`. */
  users(limit: number): Promise<UserOverview[]>;
  /** Newest first, at most `limit`. */
  wikis(limit: number): Promise<WikiOverview[]>;
  /** Suspends (`at`) or reinstates (null) a user; false when there is no such user or nothing changed. */
  setUserSuspended(did: string, at: number | null): Promise<boolean>;
  /** Suspends (`at`) or reinstates (null) a wiki by slug; false when there is no such wiki or nothing changed. */
  setWikiSuspended(slug: string, at: number | null): Promise<boolean>;
}

export function adminStore(db: StoreDb): AdminStore {
  const setSuspended = async (table: 'users' | 'wikis', key: 'did' | 'slug', value: string, at: number | null) =>
    (await db.sql.run(`update ${table} set suspended_at = ? where ${key} = ? and suspended_at is ${at === null ? 'not null' : 'null'}`, [at, value])) === 1;
  return {
    users: (limit) =>
      db.sql.all<UserOverview>(
        `select u.did, u.username, u.handle, u.created_at, u.suspended_at, (select count(*) from wikis w where w.owner_did = u.did) as wikis
         from users u order by u.created_at desc, u.did limit ?`,
        [limit],
      ),
    async wikis(limit) {
      const rows = await db.sql.all<WikiOverview>(
        `select w.id, w.slug, w.display_name, w.owner_did, u.username as owner_username, w.created_at, w.suspended_at,
           count(p.id) as pages, coalesce(sum(p.size), 0) as bytes
         from wikis w left join users u on u.did = w.owner_did left join pages p on p.wiki_id = w.id
         group by w.id, w.slug, w.display_name, w.owner_did, u.username, w.created_at, w.suspended_at
         order by w.created_at desc, w.id limit ?`,
        [limit],
      );
      // PostgreSQL's sum() of a bigint is numeric, which pg returns as a string.
      return rows.map((row) => ({ ...row, bytes: Number(row.bytes) }));
    },
    setUserSuspended: (did, at) => setSuspended('users', 'did', did, at),
    setWikiSuspended: (slug, at) => setSuspended('wikis', 'slug', slug, at),
  };
}
