// Named per-wiki bearer tokens for Claude Code and scripts. Only a hash is stored; the token itself
// is shown once when it is made.
import { ExpiringCache } from '../cache.ts';
import { randomUUID } from 'node:crypto';
import type { StoreDb } from './database.ts';
import type { WikiTokensTable } from './schema.ts';

export type WikiToken = Omit<WikiTokensTable, 'token_hash'>;

/** Last-use times are written at most this often per token, so hot tokens do not cost a write per call. */
const LAST_USED_RESOLUTION_SECONDS = 60;

export interface WikiTokenStore {
  create(token: { wikiId: string; ownerDid: string; name: string; tokenHash: string; scope: string }, now: number): Promise<WikiToken>;
  findByHash(tokenHash: string): Promise<WikiToken | undefined>;
  listForWiki(wikiId: string): Promise<WikiToken[]>;
  /** Revokes (deletes) a token of this wiki; false when there is none with that id. */
  revoke(wikiId: string, id: string): Promise<boolean>;
  touch(id: string, now: number): Promise<void>;
}

const PUBLIC_COLUMNS = ['id', 'wiki_id', 'owner_did', 'name', 'scope', 'created_at', 'last_used_at'] as const;
// A token acts as its member: while that account is suspended, the token finds nothing.
const FIND_BY_HASH = `select ${PUBLIC_COLUMNS.map((column) => `t.${column}`).join(', ')} from wiki_tokens t where t.token_hash = ? and not exists (select 1 from users u where u.did = t.owner_did and u.suspended_at is not null)`;

/** Tokens whose last touch this process remembers; beyond this many the oldest is forgotten. */
const REMEMBERED_TOUCHES = 10_000;

export function wikiTokenStore(db: StoreDb): WikiTokenStore {
  // Every MCP call with a dashboard token touches it. Within the resolution the statement is skipped
  // altogether: even an UPDATE that matches no row takes SQLite's write lock. The WHERE clause below
  // still keeps several instances from writing more often than that.
  const recentlyTouched = new ExpiringCache<string, true>(REMEMBERED_TOUCHES);
  return {
    async create({ wikiId, ownerDid, name, tokenHash, scope }, now) {
      const token: WikiToken = { id: randomUUID(), wiki_id: wikiId, owner_did: ownerDid, name, scope, created_at: now, last_used_at: null };
      await db
        .insertInto('wiki_tokens')
        .values({ ...token, token_hash: tokenHash })
        .execute();
      return token;
    },
    // Every MCP call with a dashboard token: plain SQL (./sql.ts).
    findByHash: (tokenHash) => db.sql.one<WikiToken>(FIND_BY_HASH, [tokenHash]),
    listForWiki: (wikiId) => db.selectFrom('wiki_tokens').select(PUBLIC_COLUMNS).where('wiki_id', '=', wikiId).orderBy('created_at').execute(),
    async revoke(wikiId, id) {
      const result = await db.deleteFrom('wiki_tokens').where('wiki_id', '=', wikiId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    async touch(id, now) {
      if (recentlyTouched.get(id, now)) return;
      recentlyTouched.set(id, true, now + LAST_USED_RESOLUTION_SECONDS);
      await db
        .updateTable('wiki_tokens')
        .set({ last_used_at: now })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_RESOLUTION_SECONDS)]))
        .execute();
    },
  };
}
