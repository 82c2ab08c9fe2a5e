// Wikis as tenants: the minimal record the authorization server needs (slug, owner, immutable id).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { uniqueViolationColumn } from './errors.ts';
import type { Database, WikisTable } from './schema.ts';

export type Wiki = WikisTable;

export class SlugTakenError extends Error {
  override name = 'SlugTakenError';
}

export interface WikiStore {
  create(wiki: { slug: string; ownerDid: string; displayName: string }, now: number): Promise<Wiki>;
  findBySlug(slug: string): Promise<Wiki | undefined>;
  listByOwner(ownerDid: string): Promise<Wiki[]>;
}

export function wikiStore(db: Kysely<Database>): WikiStore {
  return {
    async create({ slug, ownerDid, displayName }, now) {
      const wiki: Wiki = { id: randomUUID(), slug, owner_did: ownerDid, display_name: displayName, created_at: now };
      try {
        await db.insertInto('wikis').values(wiki).execute();
      } catch (error) {
        if (uniqueViolationColumn(error) === 'slug') throw new SlugTakenError(slug);
        throw error;
      }
      return wiki;
    },
    findBySlug: (slug) => db.selectFrom('wikis').selectAll().where('slug', '=', slug).executeTakeFirst(),
    listByOwner: (ownerDid) => db.selectFrom('wikis').selectAll().where('owner_did', '=', ownerDid).orderBy('created_at').execute(),
  };
}
