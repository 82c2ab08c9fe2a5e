// OAuth clients registered at a wiki's issuer (RFC 7591). Secrets are stored hashed.
import type { Kysely } from 'kysely';
import type { Database, OAuthClientsTable } from './schema.ts';

export type OAuthClientRow = OAuthClientsTable;

export interface OAuthClientStore {
  create(client: OAuthClientRow): Promise<void>;
  find(wikiId: string, clientId: string): Promise<OAuthClientRow | undefined>;
}

export function oauthClientStore(db: Kysely<Database>): OAuthClientStore {
  return {
    async create(client) {
      await db.insertInto('oauth_clients').values(client).execute();
    },
    // The client's first use is noted when it redeems a code (CodeStore.redeem, catalogue DC-05).
    find: (wikiId, clientId) =>
      db.selectFrom('oauth_clients').selectAll().where('wiki_id', '=', wikiId).where('client_id', '=', clientId).executeTakeFirst(),
  };
}
