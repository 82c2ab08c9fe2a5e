// Consent and what it issues: grants, pending authorization requests, authorization codes.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuthorizationCodesTable, AuthorizationRequestsTable, Database, GrantsTable } from './schema.ts';

export type Grant = GrantsTable;
export type AuthorizationRequest = AuthorizationRequestsTable;
export type AuthorizationCode = AuthorizationCodesTable;

export interface ConnectedApp {
  grantId: string;
  wikiName: string;
  wikiSlug: string;
  clientId: string;
  /** The registered metadata (JSON) for dynamically registered clients; null for metadata-document clients. */
  clientMetadata: string | null;
  scope: string;
  createdAt: number;
}

export interface GrantStore {
  /** The user's live grants, newest first: the dashboard's "connected apps". */
  listForUser(userDid: string): Promise<ConnectedApp[]>;
  /** Revokes one of the user's grants; false when it is not theirs or already revoked. */
  revokeForUser(grantId: string, userDid: string, now: number): Promise<boolean>;
  /** The live grant of this user for this client at this wiki, if any. */
  findActive(wikiId: string, clientId: string, userDid: string): Promise<Grant | undefined>;
  /** Records consent for `scope`, widening an existing grant rather than adding a second one. */
  approve(grant: { wikiId: string; clientId: string; userDid: string; scope: string }, now: number, tx?: Kysely<Database>): Promise<Grant>;
  saveRequest(request: AuthorizationRequest): Promise<void>;
  /** Deletes and returns a live pending request: a consent form is answered once (catalogue CS-01). */
  takeRequest(id: string, now: number): Promise<AuthorizationRequest | undefined>;
  findRequest(id: string, now: number): Promise<AuthorizationRequest | undefined>;
  saveCode(code: AuthorizationCode, tx?: Kysely<Database>): Promise<void>;
}

export function grantStore(db: Kysely<Database>): GrantStore {
  const findActive = (wikiId: string, clientId: string, userDid: string, tx: Kysely<Database> = db) =>
    tx
      .selectFrom('grants')
      .selectAll()
      .where('wiki_id', '=', wikiId)
      .where('client_id', '=', clientId)
      .where('user_did', '=', userDid)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  return {
    async listForUser(userDid) {
      const rows = await db
        .selectFrom('grants')
        .innerJoin('wikis', 'wikis.id', 'grants.wiki_id')
        .leftJoin('oauth_clients', 'oauth_clients.client_id', 'grants.client_id')
        .select(['grants.id as grantId', 'wikis.display_name as wikiName', 'wikis.slug as wikiSlug', 'grants.client_id as clientId', 'oauth_clients.metadata as clientMetadata', 'grants.scope as scope', 'grants.created_at as createdAt'])
        .where('grants.user_did', '=', userDid)
        .where('grants.revoked_at', 'is', null)
        .orderBy('grants.created_at', 'desc')
        .execute();
      return rows;
    },
    async revokeForUser(grantId, userDid, now) {
      const result = await db.updateTable('grants').set({ revoked_at: now }).where('id', '=', grantId).where('user_did', '=', userDid).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    findActive,
    async approve({ wikiId, clientId, userDid, scope }, now, tx = db) {
      const existing = await findActive(wikiId, clientId, userDid, tx);
      if (existing) {
        const merged = [...new Set([...existing.scope.split(' '), ...scope.split(' ')])].sort().join(' ');
        if (merged !== existing.scope) await tx.updateTable('grants').set({ scope: merged }).where('id', '=', existing.id).execute();
        return { ...existing, scope: merged };
      }
      const grant: Grant = { id: randomUUID(), wiki_id: wikiId, client_id: clientId, user_did: userDid, scope, created_at: now, revoked_at: null };
      await tx.insertInto('grants').values(grant).execute();
      return grant;
    },
    async saveRequest(request) {
      await db.insertInto('authorization_requests').values(request).execute();
    },
    async takeRequest(id, now) {
      const request = await db.selectFrom('authorization_requests').selectAll().where('id', '=', id).where('expires_at', '>', now).executeTakeFirst();
      if (!request) return undefined;
      const deleted = await db.deleteFrom('authorization_requests').where('id', '=', id).executeTakeFirst();
      return Number(deleted.numDeletedRows) === 1 ? request : undefined;
    },
    findRequest: (id, now) => db.selectFrom('authorization_requests').selectAll().where('id', '=', id).where('expires_at', '>', now).executeTakeFirst(),
    async saveCode(code, tx = db) {
      await tx.insertInto('authorization_codes').values(code).execute();
    },
  };
}

export interface CodeStore {
  /**
   * Marks the code used, noting whether this attempt was a valid redemption; true for exactly one
   * caller, however many race (catalogue AC-06). Inside `tx`, it stays unconsumed if that rolls back.
   */
  consume(codeHash: string, valid: boolean, now: number, tx?: Kysely<Database>): Promise<boolean>;
  find(codeHash: string): Promise<AuthorizationCode | undefined>;
  /** Revokes a grant and so everything it issued (catalogue AC-01). */
  revokeGrant(grantId: string, now: number): Promise<void>;
  isGrantActive(grantId: string): Promise<boolean>;
}

export function codeStore(db: Kysely<Database>): CodeStore {
  return {
    async consume(codeHash, valid, now, tx = db) {
      // A conditional UPDATE, not read-then-write: the database decides the race (FACTS.md: a plain
      // UPDATE let one code be redeemed twice in 49 of 50 concurrent PostgreSQL trials).
      const result = await tx.updateTable('authorization_codes').set({ consumed_at: now, validly_consumed_at: valid ? now : null }).where('code_hash', '=', codeHash).where('consumed_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    find: (codeHash) => db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst(),
    async revokeGrant(grantId, now) {
      await db.updateTable('grants').set({ revoked_at: now }).where('id', '=', grantId).where('revoked_at', 'is', null).execute();
    },
    async isGrantActive(grantId) {
      return (await db.selectFrom('grants').select('id').where('id', '=', grantId).where('revoked_at', 'is', null).executeTakeFirst()) !== undefined;
    },
  };
}
