// A person's own account: what the account page shows, and deleting it. Deletion is one transaction:
// each owned wiki is deleted or handed to a collaborator first, then every row that names the person
// goes (sessions, CLI logins, grants, codes, refresh tokens, bearer tokens, memberships, the atproto
// session) and their authorship in wikis that remain is anonymised. Only audit_events keep the DID.
import type { StoreDb } from './database.ts';
import { recordAuditEvent } from './audit-events.ts';
import type { Sql } from './sql.ts';
import { deleteWikiRows } from './wikis.ts';

/** Shown as the author of revisions whose author deleted their account. */
export const DELETED_AUTHOR = 'deleted-account';

export interface Account {
  did: string;
  username: string;
  handle: string | null;
  created_at: number;
  suspended_at: number | null;
}

/** What happens to one owned wiki: deleted, or given to `transferTo`, one of its collaborators. */
export interface WikiDisposal {
  wikiId: string;
  transferTo?: string;
}

/** `changed`: the owned wikis or their collaborators are not what the choices were made for; nothing was written. */
export type DeletionOutcome = { kind: 'deleted'; deletedWikis: number; transferredWikis: number } | { kind: 'changed' } | { kind: 'gone' };

/** A bearer token the person made, at whichever wiki. */
export interface AccountToken {
  id: string;
  name: string;
  scope: string;
  created_at: number;
  last_used_at: number | null;
  wiki_slug: string;
  wiki_name: string;
}

export interface AccountStore {
  find(did: string): Promise<Account | undefined>;
  /** The person's dashboard bearer tokens at every wiki, newest first. */
  tokens(did: string): Promise<AccountToken[]>;
  delete(did: string, disposals: WikiDisposal[], now: number): Promise<DeletionOutcome>;
}

class ChoicesOutOfDate extends Error {}

/** Rows naming the person, by table and column; children before parents. */
const PERSON_ROWS: [table: string, column: string][] = [
  ['refresh_tokens', 'user_did'],
  ['authorization_codes', 'user_did'],
  ['authorization_requests', 'user_did'],
  ['grants', 'user_did'],
  ['wiki_tokens', 'owner_did'],
  ['wiki_members', 'did'],
  ['platform_sessions', 'did'],
  ['cli_logins', 'did'],
  ['pending_signups', 'did'],
  ['personal_access_tokens', 'user_did'],
  ['atproto_sessions', 'key'],
];

async function disposeOfWikis(tx: Sql, did: string, disposals: WikiDisposal[]): Promise<{ deleted: number; transferred: number }> {
  const owned = (await tx.all<{ id: string }>('select id from wikis where owner_did = ?', [did])).map((row) => row.id);
  const chosen = new Map(disposals.map((disposal) => [disposal.wikiId, disposal.transferTo]));
  if (owned.length !== chosen.size || owned.some((id) => !chosen.has(id))) throw new ChoicesOutOfDate();
  let transferred = 0;
  for (const id of owned) {
    const heir = chosen.get(id);
    if (heir === undefined) {
      await deleteWikiRows(tx, id);
      continue;
    }
    // The heir must still be a collaborator; they become the owner, who is not listed as a member.
    if ((await tx.run('delete from wiki_members where wiki_id = ? and did = ?', [id, heir])) !== 1) throw new ChoicesOutOfDate();
    await tx.run('update wikis set owner_did = ? where id = ?', [heir, id]);
    transferred += 1;
  }
  return { deleted: owned.length - transferred, transferred };
}

export function accountStore(db: StoreDb): AccountStore {
  return {
    find: (did) => db.sql.one<Account>('select did, username, handle, created_at, suspended_at from users where did = ?', [did]),
    tokens: (did) =>
      db.sql.all<AccountToken>(
        `select t.id, t.name, t.scope, t.created_at, t.last_used_at, w.slug as wiki_slug, w.display_name as wiki_name
         from wiki_tokens t join wikis w on w.id = t.wiki_id where t.owner_did = ? order by t.created_at desc, t.id`,
        [did],
      ),
    async delete(did, disposals, now) {
      try {
        return await db.sql.transaction(async (tx) => {
          if ((await tx.one('select did from users where did = ?', [did])) === undefined) return { kind: 'gone' } as const;
          const wikis = await disposeOfWikis(tx, did, disposals);
          for (const [table, column] of PERSON_ROWS) await tx.run(`delete from ${table} where ${column} = ?`, [did]);
          await tx.run('update pages set updated_by = ? where updated_by = ?', [DELETED_AUTHOR, did]);
          await tx.run('update page_revisions set author_did = ? where author_did = ?', [DELETED_AUTHOR, did]);
          await tx.run('update attachments set updated_by = ? where updated_by = ?', [DELETED_AUTHOR, did]);
          await tx.run('update attachment_revisions set author_did = ? where author_did = ?', [DELETED_AUTHOR, did]);
          await tx.run('delete from users where did = ?', [did]);
          const detail = `${wikis.deleted} wiki(s) deleted, ${wikis.transferred} transferred`;
          await recordAuditEvent(tx, { event: 'account.deleted', actor_did: did, subject: did, detail }, now);
          return { kind: 'deleted', deletedWikis: wikis.deleted, transferredWikis: wikis.transferred } as const;
        });
      } catch (error) {
        if (error instanceof ChoicesOutOfDate) return { kind: 'changed' };
        throw error;
      }
    },
  };
}
