// OAuth clients registered at a wiki's issuer (RFC 7591). Secrets are stored hashed.
import type { StoreDb } from './database.ts';
import type { OAuthClientsTable } from './schema.ts';

export type OAuthClientRow = OAuthClientsTable;

export interface OAuthClientStore {
  create(client: OAuthClientRow): Promise<void>;
  find(wikiId: string, clientId: string): Promise<OAuthClientRow | undefined>;
}

/** Every authorization request and token request reads its client, and every registration writes one: plain SQL (./sql.ts). */
const FIND = 'select client_id, wiki_id, secret_hash, metadata, created_at, last_used_at from oauth_clients where wiki_id = ? and client_id = ?';
const CREATE = 'insert into oauth_clients (client_id, wiki_id, secret_hash, metadata, created_at, last_used_at) values (?, ?, ?, ?, ?, ?)';

export function oauthClientStore(db: StoreDb): OAuthClientStore {
  return {
    async create(client) {
      await db.sql.run(CREATE, [client.client_id, client.wiki_id, client.secret_hash, client.metadata, client.created_at, client.last_used_at]);
    },
    // The client's first use is noted when it redeems a code (CodeStore.redeem, catalogue DC-05).
    find: (wikiId, clientId) => db.sql.one<OAuthClientRow>(FIND, [wikiId, clientId]),
  };
}
