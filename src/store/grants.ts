// Consent and what it issues: grants, pending authorization requests, authorization codes. The
// operations that decide a race or sit on the hot path are plain SQL (./sql.ts) and own their
// transactions; the database decides every race with a conditional UPDATE (FACTS.md: a read-then-write
// let one code be redeemed twice in 49 of 50 concurrent PostgreSQL trials).
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from './database.ts';
import type { RefreshTokenRow } from './refresh-tokens.ts';
import type { AuthorizationCodesTable, AuthorizationRequestsTable, GrantsTable, WikisTable } from './schema.ts';
import type { Sql } from './sql.ts';

export type Grant = GrantsTable;
export type AuthorizationRequest = AuthorizationRequestsTable;
export type AuthorizationCode = AuthorizationCodesTable;
/** The wiki a code or token is presented at: its id, and its owner (who needs no member row). */
export type WikiRef = Pick<WikisTable, 'id' | 'owner_did'>;
/** What a person consented to: the grant's key and the scope to record. */
export interface Consent {
  wikiId: string;
  clientId: string;
  userDid: string;
  scope: string;
}

/**
 * Whether what was issued still stands: the grant is not revoked, the person still has a role in
 * the wiki (its owner, or a wiki_members row) and their account is not suspended. Catalogue AC-05,
 * RT-06: removing a collaborator, revoking the grant or suspending the account ends its codes and
 * refresh tokens at once (reinstating the account restores them). A missing user row does not
 * suspend: deleting an account deletes its grants (store/accounts.ts), so it never keeps anything
 * alive. Expects the issued row as `x`; the owner's DID is the first parameter.
 *
 * Correlated subqueries, not joins: each is one primary-key or unique-index probe. SQLite ran the
 * refresh-token read in its three-way LEFT JOIN form at ≈ 50 µs, in this form at ≈ 6 µs, with the same
 * plan of index lookups (docs/benchmarks.md, 2026-12-01).
 */
export const STILL_AUTHORIZED = `case when exists (select 1 from grants g where g.id = x.grant_id and g.revoked_at is null)
  and (x.user_did = ? or exists (select 1 from wiki_members m where m.wiki_id = x.wiki_id and m.did = x.user_did))
  and not exists (select 1 from users u where u.did = x.user_did and u.suspended_at is not null) then 1 else 0 end as authorized`;

/** An issued code or token as read for use: with whether it is still authorized (STILL_AUTHORIZED). */
export type Authorized<Row> = Row & { authorized: boolean };

export function toAuthorized<Row extends { authorized: number | boolean }>(row: Row | undefined): Authorized<Omit<Row, 'authorized'>> | undefined {
  return row && { ...row, authorized: Number(row.authorized) === 1 };
}

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
  /** The live grant of this user for this client at this wiki, if any. One SELECT. */
  findActive(wikiId: string, clientId: string, userDid: string): Promise<Grant | undefined>;
  /** Records consent for `scope`, widening the live grant rather than adding a second one. One transaction. */
  approve(consent: Consent, now: number): Promise<Grant>;
  /**
   * Catalogue DB-02: records consent (as `approve`) and stores the code under that grant in one
   * transaction, so a code is never stored without its consent nor consent without the code it was for.
   * Returns the grant's id.
   */
  approveWithCode(code: Omit<AuthorizationCode, 'grant_id'>, now: number): Promise<string>;
  /** Stores a code under a live grant that already covers its scope (remembered consent). One INSERT. */
  issueCode(code: AuthorizationCode): Promise<void>;
  saveRequest(request: AuthorizationRequest): Promise<void>;
  /** Deletes and returns a live pending request: a consent form is answered once (catalogue CS-01). */
  takeRequest(id: string, now: number): Promise<AuthorizationRequest | undefined>;
  findRequest(id: string, now: number): Promise<AuthorizationRequest | undefined>;
}

const CODE_COLUMNS =
  'code_hash, grant_id, wiki_id, client_id, user_did, redirect_uri, code_challenge, scope, resource, expires_at, consumed_at, validly_consumed_at';
const INSERT_CODE = `insert into authorization_codes (${CODE_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const codeValues = (code: AuthorizationCode) => [
  code.code_hash,
  code.grant_id,
  code.wiki_id,
  code.client_id,
  code.user_did,
  code.redirect_uri,
  code.code_challenge,
  code.scope,
  code.resource,
  code.expires_at,
  code.consumed_at,
  code.validly_consumed_at,
];

const REQUEST_COLUMNS = 'id, wiki_id, client_id, user_did, redirect_uri, state, code_challenge, scope, resource, csrf, expires_at';
const FIND_ACTIVE =
  'select id, wiki_id, client_id, user_did, scope, created_at, revoked_at from grants where wiki_id = ? and client_id = ? and user_did = ? and revoked_at is null';

/** The union of two space-separated scope lists, sorted: a widened grant never loses a scope. */
export const unionOfScopes = (a: string, b: string) => [...new Set([...a.split(' '), ...b.split(' ')])].sort().join(' ');

// The partial unique index grants_one_live (migration 008) lets one live grant exist per (wiki, client,
// user): of concurrent first approvals one INSERT wins and the others do nothing. A widening only
// writes the scope it read (compare and set), so under READ COMMITTED a concurrent widening makes it
// match no row rather than overwrite a scope just added.
const INSERT_GRANT =
  'insert into grants (id, wiki_id, client_id, user_did, scope, created_at, revoked_at) values (?, ?, ?, ?, ?, ?, ?) on conflict (wiki_id, client_id, user_did) where revoked_at is null do nothing';
const WIDEN_GRANT = 'update grants set scope = ? where id = ? and scope = ? and revoked_at is null';

/**
 * Widens the live grant to cover `scope`, or creates one: 2 statements (a SELECT, then an UPDATE or
 * INSERT when needed). A write that matches no row lost to a concurrent approval or revocation that
 * did write, so the loop reads again; it ends because every lost turn is another caller's progress.
 */
async function recordConsent(tx: Sql, { wikiId, clientId, userDid, scope }: Consent, now: number): Promise<Grant> {
  for (;;) {
    const existing = await tx.one<Grant>(FIND_ACTIVE, [wikiId, clientId, userDid]);
    if (existing) {
      const merged = unionOfScopes(existing.scope, scope);
      if (merged === existing.scope) return existing;
      if ((await tx.run(WIDEN_GRANT, [merged, existing.id, existing.scope])) === 1) return { ...existing, scope: merged };
    } else {
      const grant: Grant = { id: randomUUID(), wiki_id: wikiId, client_id: clientId, user_did: userDid, scope, created_at: now, revoked_at: null };
      if ((await tx.run(INSERT_GRANT, [grant.id, grant.wiki_id, grant.client_id, grant.user_did, grant.scope, grant.created_at, grant.revoked_at])) === 1)
        return grant;
    }
  }
}

export function grantStore({ db, sql }: Pick<DatabaseHandle, 'db' | 'sql'>): GrantStore {
  return {
    async listForUser(userDid) {
      const rows = await db
        .selectFrom('grants')
        .innerJoin('wikis', 'wikis.id', 'grants.wiki_id')
        .leftJoin('oauth_clients', 'oauth_clients.client_id', 'grants.client_id')
        .select([
          'grants.id as grantId',
          'wikis.display_name as wikiName',
          'wikis.slug as wikiSlug',
          'grants.client_id as clientId',
          'oauth_clients.metadata as clientMetadata',
          'grants.scope as scope',
          'grants.created_at as createdAt',
        ])
        .where('grants.user_did', '=', userDid)
        .where('grants.revoked_at', 'is', null)
        .orderBy('grants.created_at', 'desc')
        .execute();
      return rows;
    },
    async revokeForUser(grantId, userDid, now) {
      const result = await db
        .updateTable('grants')
        .set({ revoked_at: now })
        .where('id', '=', grantId)
        .where('user_did', '=', userDid)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    findActive: (wikiId, clientId, userDid) => sql.one<Grant>(FIND_ACTIVE, [wikiId, clientId, userDid]),
    approve: (consent, now) => sql.transaction((tx) => recordConsent(tx, consent, now)),
    approveWithCode: (code, now) =>
      sql.transaction(async (tx) => {
        const grant = await recordConsent(tx, { wikiId: code.wiki_id, clientId: code.client_id, userDid: code.user_did, scope: code.scope }, now);
        await tx.run(INSERT_CODE, codeValues({ ...code, grant_id: grant.id }));
        return grant.id;
      }),
    // One statement, atomic by itself. A PostgreSQL backend terminated under it fails the query, and
    // pg's pool then discards that connection rather than lend it out again (src/store/sql.ts).
    issueCode: async (code) => void (await sql.run(INSERT_CODE, codeValues(code))),
    async saveRequest(request) {
      await db.insertInto('authorization_requests').values(request).execute();
    },
    // One statement: the row comes back only to the caller whose DELETE removed it (CS-01).
    takeRequest: (id, now) =>
      sql.one<AuthorizationRequest>(`delete from authorization_requests where id = ? and expires_at > ? returning ${REQUEST_COLUMNS}`, [id, now]),
    findRequest: (id, now) => sql.one<AuthorizationRequest>(`select ${REQUEST_COLUMNS} from authorization_requests where id = ? and expires_at > ?`, [id, now]),
  };
}

/** How one attempt to redeem a code ended (catalogue AC-01, AC-02, AC-06). */
export type Redemption = 'redeemed' | 'refused' | 'replayed' | 'replayed_and_revoked';

export interface CodeRedemption {
  codeHash: string;
  /** Whether this attempt passed every check that does not depend on the code being unused (PK-03). */
  valid: boolean;
  /** Registered clients whose row shows no use yet: their first use is noted (catalogue DC-05). */
  firstUseOf?: string;
  /** The first token of the refresh family the code starts, for clients that use refresh tokens. */
  refreshToken?: RefreshTokenRow;
}

export interface CodeStore {
  /** The code, if it was issued at this wiki, and whether its grant still stands (STILL_AUTHORIZED). One SELECT. */
  find(codeHash: string, wiki: WikiRef): Promise<Authorized<AuthorizationCode> | undefined>;
  /**
   * Consumes the code and, for a valid attempt, writes what it issues, in one transaction (catalogue
   * DB-01): the conditional UPDATE makes exactly one caller the redeemer however many race (AC-06), and
   * a failure leaves the code unconsumed for the client's retry. A valid attempt at a code that was
   * already validly redeemed means the code leaked: its grant is revoked (AC-01). An invalid attempt
   * consumes the code but revokes nothing (AC-02, PK-03).
   */
  redeem(redemption: CodeRedemption, now: number): Promise<Redemption>;
  /** Revokes a grant and so everything it issued (catalogue AC-01, RT-02, RV-01). One UPDATE. */
  revokeGrant(grantId: string, now: number): Promise<void>;
  /** The grant is not revoked and its person is not suspended (RS-11): read on every MCP call. One SELECT. */
  isGrantActive(grantId: string): Promise<boolean>;
}

const REFRESH_TOKEN_COLUMNS = 'token_hash, family_id, grant_id, wiki_id, client_id, user_did, scope, resource, family_started_at, expires_at, rotated_at';
const INSERT_REFRESH_TOKEN = `insert into refresh_tokens (${REFRESH_TOKEN_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const refreshTokenValues = (row: RefreshTokenRow) => [
  row.token_hash,
  row.family_id,
  row.grant_id,
  row.wiki_id,
  row.client_id,
  row.user_did,
  row.scope,
  row.resource,
  row.family_started_at,
  row.expires_at,
  row.rotated_at,
];
export const insertRefreshToken = (tx: Sql, row: RefreshTokenRow) => tx.run(INSERT_REFRESH_TOKEN, refreshTokenValues(row));

/** A compare-and-set UPDATE (`… where … is null`) that decides a race; it matches one row or none. */
export interface Guard {
  text: string;
  params: unknown[];
}

/**
 * The guard and the refresh token it issues, committed together or not at all (DB-01); of racing
 * callers only the one whose guard matched inserts. Resolves to whether it matched.
 *
 * On PostgreSQL this is ONE statement, a data-modifying CTE: one round trip instead of four (BEGIN,
 * UPDATE, INSERT, COMMIT), atomic as every statement is. A racing UPDATE waits for the row lock and then
 * matches nothing, so its INSERT selects no row. SQLite has neither data-modifying CTEs nor round trips to
 * save, so it runs the two statements in a transaction. The numeric columns are cast because the
 * parameters of an INSERT … SELECT take their types from the SELECT, not from the table.
 */
export async function insertRefreshTokenIf(sql: Sql, guard: Guard, row: RefreshTokenRow): Promise<boolean> {
  if (sql.dialect === 'postgres') {
    const inserted = await sql.run(
      `with guard as (${guard.text} returning 1) insert into refresh_tokens (${REFRESH_TOKEN_COLUMNS})
       select ?, ?, ?, ?, ?, ?, ?, ?, cast(? as bigint), cast(? as bigint), cast(? as bigint) where exists (select 1 from guard)`,
      [...guard.params, ...refreshTokenValues(row)],
    );
    return inserted === 1;
  }
  return sql.transaction(async (tx) => {
    if ((await tx.run(guard.text, guard.params)) !== 1) return false;
    await insertRefreshToken(tx, row);
    return true;
  });
}
const REVOKE_GRANT = 'update grants set revoked_at = ? where id = ? and revoked_at is null';
export const revokeGrant = (sql: Sql, grantId: string, now: number) => sql.run(REVOKE_GRANT, [now, grantId]);

const FIND_CODE = `select x.code_hash, x.grant_id, x.wiki_id, x.client_id, x.user_did, x.redirect_uri, x.code_challenge, x.scope, x.resource, x.expires_at, x.consumed_at, x.validly_consumed_at, ${STILL_AUTHORIZED} from authorization_codes x where x.code_hash = ? and x.wiki_id = ?`;

export function codeStore({ sql }: Pick<DatabaseHandle, 'sql'>): CodeStore {
  const consumption = (codeHash: string, valid: boolean, now: number): Guard => ({
    text: 'update authorization_codes set consumed_at = ?, validly_consumed_at = ? where code_hash = ? and consumed_at is null',
    params: [now, valid ? now : null, codeHash],
  });
  return {
    find: async (codeHash, wiki) => toAuthorized(await sql.one<AuthorizationCode & { authorized: number }>(FIND_CODE, [wiki.owner_did, codeHash, wiki.id])),
    async redeem({ codeHash, valid, firstUseOf, refreshToken }, now) {
      const consume = consumption(codeHash, valid, now);
      const writes = async (tx: Sql) => {
        if ((await tx.run(consume.text, consume.params)) !== 1) return false;
        if (!valid) return true;
        if (firstUseOf) await tx.run('update oauth_clients set last_used_at = ? where client_id = ? and last_used_at is null', [now, firstUseOf]);
        if (refreshToken) await insertRefreshToken(tx, refreshToken);
        return true;
      };
      // The usual redemption (a client that has redeemed before, with refresh tokens) is one guarded
      // insert; a single statement needs no transaction of its own.
      const consumed =
        valid && refreshToken && !firstUseOf
          ? await insertRefreshTokenIf(sql, consume, refreshToken)
          : valid && (firstUseOf || refreshToken)
            ? await sql.transaction(writes)
            : await writes(sql);
      if (consumed) return valid ? 'redeemed' : 'refused';
      if (!valid) return 'replayed';
      const first = await sql.one<{ grant_id: string; validly_consumed_at: number | null }>(
        'select grant_id, validly_consumed_at from authorization_codes where code_hash = ?',
        [codeHash],
      );
      if (!first?.validly_consumed_at) return 'replayed';
      await revokeGrant(sql, first.grant_id, now);
      return 'replayed_and_revoked';
    },
    async revokeGrant(grantId, now) {
      await revokeGrant(sql, grantId, now);
    },
    isGrantActive: async (grantId) =>
      (await sql.one(
        'select 1 from grants g where g.id = ? and g.revoked_at is null and not exists (select 1 from users u where u.did = g.user_did and u.suspended_at is not null)',
        [grantId],
      )) !== undefined,
  };
}
