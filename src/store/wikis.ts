// Wikis as tenants: slug, owner, immutable id, collaborators and the anonymous-read setting.
import { randomUUID } from 'node:crypto';
import type { Dialect, StoreDb } from './database.ts';
import type { Sql } from './sql.ts';
import { uniqueViolationColumn } from './errors.ts';
import type { WikiMembersTable, WikiRole, WikisTable } from './schema.ts';

export type Wiki = WikisTable;
export type WikiMember = WikiMembersTable;

/** A wiki as one person sees it on the dashboard: with their role in it. */
export interface MyWiki extends Wiki {
  role: 'owner' | WikiRole;
}

export class SlugTakenError extends Error {
  override name = 'SlugTakenError';
}

export interface WikiStore {
  create(wiki: { slug: string; ownerDid: string; displayName: string }, now: number): Promise<Wiki>;
  findBySlug(slug: string): Promise<Wiki | undefined>;
  /** Wikis the person owns or collaborates on, owned first, then by name. */
  listForMember(did: string): Promise<MyWiki[]>;
  setAnonymousRead(wikiId: string, enabled: boolean): Promise<void>;
  /** The owner's words about the wiki: its display name and description. */
  setDetails(wikiId: string, details: { displayName: string; description: string }): Promise<void>;
  /**
   * Deletes the wiki and everything bound to it: pages and history, collaborators, bearer tokens,
   * client registrations, grants, codes and refresh tokens. Access tokens already issued die with
   * their grant, and a later wiki under the same slug has a new id they do not carry.
   */
  delete(wikiId: string): Promise<void>;
  members(wikiId: string): Promise<WikiMember[]>;
  member(wikiId: string, did: string): Promise<WikiMember | undefined>;
  /** Adds a collaborator or changes their role (and the handle shown for them). */
  setMember(member: { wikiId: string; did: string; handle: string | null; role: WikiRole }, now: number): Promise<void>;
  /** Removes a collaborator and revokes the grants and bearer tokens they held for this wiki. */
  removeMember(wikiId: string, did: string, now: number): Promise<boolean>;
}

/** Tables whose rows belong to one wiki, emptied when it is deleted (children before parents). */
const WIKI_TABLES = [
  'refresh_tokens',
  'authorization_codes',
  'authorization_requests',
  'grants',
  'oauth_clients',
  'wiki_tokens',
  'attachment_revisions',
  'attachments',
  'page_links',
  'page_labels',
  'wiki_usage',
  'page_revisions',
  'pages',
  'wiki_members',
] as const;

/** Deletes a wiki and every row bound to it, inside the caller's transaction (also account deletion's). */
export async function deleteWikiRows(tx: Sql, wikiId: string): Promise<void> {
  // The search index is a virtual table on SQLite and a column of `pages` on PostgreSQL. On SQLite its
  // rows are keyed by the wiki's pages (./migrations/010_wiki_scale.ts): before `pages`.
  if (tx.dialect === 'sqlite') await tx.run('delete from page_search where rowid in (select search_rowid from pages where wiki_id = ?)', [wikiId]);
  // Attachment bytes are keyed by blob (./attachment-blobs.ts): those the wiki's revisions name.
  await tx.run('delete from attachment_chunks where blob_key in (select blob_key from attachment_revisions where wiki_id = ?)', [wikiId]);
  for (const table of WIKI_TABLES) await tx.run(`delete from ${table} where wiki_id = ?`, [wikiId]);
  await tx.run('delete from wikis where id = ?', [wikiId]);
}

/**
 * Columns named rather than `*`: PostgreSQL refuses to run a prepared statement whose result shape a
 * later migration changed ("cached plan must not change result type"), and ours are prepared once
 * per connection (./sql.ts) while another instance may be migrating.
 */
const WIKI_COLUMNS = 'id, slug, owner_did, display_name, created_at, anonymous_read, description, suspended_at';
const MEMBER_COLUMNS = 'wiki_id, did, handle, role, added_at';

// `_dialect`: the plain-SQL handle (`db.sql`) carries it now; kept so callers need not change.
export function wikiStore(db: StoreDb, _dialect: Dialect): WikiStore {
  return {
    async create({ slug, ownerDid, displayName }, now) {
      const wiki: Wiki = {
        id: randomUUID(),
        slug,
        owner_did: ownerDid,
        display_name: displayName,
        created_at: now,
        anonymous_read: 0,
        description: '',
        suspended_at: null,
      };
      try {
        await db.insertInto('wikis').values(wiki).execute();
      } catch (error) {
        if (uniqueViolationColumn(error) === 'slug') throw new SlugTakenError(slug);
        throw error;
      }
      return wiki;
    },
    // Every wiki request starts here, and every role check below: plain SQL (./sql.ts).
    findBySlug: (slug) => db.sql.one<Wiki>(`select ${WIKI_COLUMNS} from wikis where slug = ?`, [slug]),
    async listForMember(did) {
      const owned = await db.selectFrom('wikis').selectAll().where('owner_did', '=', did).orderBy('display_name').execute();
      const shared = await db
        .selectFrom('wikis')
        .innerJoin('wiki_members', 'wiki_members.wiki_id', 'wikis.id')
        .selectAll('wikis')
        .select('wiki_members.role')
        .where('wiki_members.did', '=', did)
        .orderBy('wikis.display_name')
        .execute();
      return [...owned.map((wiki) => ({ ...wiki, role: 'owner' as const })), ...shared];
    },
    async setAnonymousRead(wikiId, enabled) {
      await db
        .updateTable('wikis')
        .set({ anonymous_read: enabled ? 1 : 0 })
        .where('id', '=', wikiId)
        .execute();
    },
    async setDetails(wikiId, { displayName, description }) {
      await db.updateTable('wikis').set({ display_name: displayName, description }).where('id', '=', wikiId).execute();
    },
    delete: (wikiId) => db.sql.transaction((tx) => deleteWikiRows(tx, wikiId)),
    members: (wikiId) => db.selectFrom('wiki_members').selectAll().where('wiki_id', '=', wikiId).orderBy('added_at').execute(),
    member: (wikiId, did) => db.sql.one<WikiMember>(`select ${MEMBER_COLUMNS} from wiki_members where wiki_id = ? and did = ?`, [wikiId, did]),
    async setMember({ wikiId, did, handle, role }, now) {
      await db
        .insertInto('wiki_members')
        .values({ wiki_id: wikiId, did, handle, role, added_at: now })
        .onConflict((oc) => oc.columns(['wiki_id', 'did']).doUpdateSet({ role, handle }))
        .execute();
    },
    async removeMember(wikiId, did, now) {
      return db.transaction().execute(async (tx) => {
        const removed = await tx.deleteFrom('wiki_members').where('wiki_id', '=', wikiId).where('did', '=', did).executeTakeFirst();
        await tx
          .updateTable('grants')
          .set({ revoked_at: now })
          .where('wiki_id', '=', wikiId)
          .where('user_did', '=', did)
          .where('revoked_at', 'is', null)
          .execute();
        await tx.deleteFrom('wiki_tokens').where('wiki_id', '=', wikiId).where('owner_did', '=', did).execute();
        return Number(removed.numDeletedRows) === 1;
      });
    },
  };
}
