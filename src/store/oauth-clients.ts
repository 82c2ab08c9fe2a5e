// OAuth clients registered at a wiki's issuer (RFC 7591). Secrets are stored hashed.
import type { StoreDb } from './database.ts';
import type { OAuthClientsTable } from './schema.ts';

export type OAuthClientRow = OAuthClientsTable;

export interface OAuthClientStore {
  create(client: OAuthClientRow): Promise<void>;
  find(wikiId: string, clientId: string): Promise<OAuthClientRow | undefined>;
}

/** Every authorization request and token request reads its client: plain SQL (./sql.ts). */
const FIND = 'select client_id, wiki_id, secret_hash, metadata, created_at, last_used_at from oauth_clients where wiki_id = ? and client_id = ?';

export function oauthClientStore(db: StoreDb): OAuthClientStore {
  return {
    async create(client) {
      await db.insertInto('oauth_clients').values(client).execute();
    },
    // The client's first use is noted when it redeems a code (CodeStore.redeem, catalogue DC-05).
    find: (wikiId, clientId) => db.sql.one<OAuthClientRow>(FIND, [wikiId, clientId]),
  };
}
