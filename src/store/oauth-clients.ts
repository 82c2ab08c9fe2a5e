// OAuth clients registered at a wiki's issuer (RFC 7591). Secrets are stored hashed.
import type { Kysely } from 'kysely';
import type { Database, OAuthClientsTable } from './schema.ts';

export type OAuthClientRow = OAuthClientsTable;

export interface OAuthClientStore {
  create(client: OAuthClientRow): Promise<void>;
  find(wikiId: string, clientId: string): Promise<OAuthClientRow | undefined>;
  /** Notes the first use, so registrations never used can be collected (catalogue DC-05). */
  markUsed(clientId: string, now: number, tx?: Kysely<Database>): Promise<void>;
}

export function oauthClientStore(db: Kysely<Database>): OAuthClientStore {
  return {
    async create(client) {
      await db.insertInto('oauth_clients').values(client).execute();
    },
    find: (wikiId, clientId) =>
      db.selectFrom('oauth_clients').selectAll().where('wiki_id', '=', wikiId).where('client_id', '=', clientId).executeTakeFirst(),
    async markUsed(clientId, now, tx = db) {
      await tx.updateTable('oauth_clients').set({ last_used_at: now }).where('client_id', '=', clientId).where('last_used_at', 'is', null).execute();
    },
  };
}
