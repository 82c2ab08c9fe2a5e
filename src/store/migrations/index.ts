// Numbered migrations, run at start and by `robot migrate`. Never edit a shipped migration: add one.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { SqliteAdapter, sql } from 'kysely';
import { unionOfScopes } from '../grants.ts';
import { m009_wiki_description } from './009_wiki_description.ts';
import { m010_wiki_scale } from './010_wiki_scale.ts';
import { m011_attachments } from './011_attachments.ts';
import { m012_semantic_search } from './012_semantic_search.ts';
import { m013_administration } from './013_administration.ts';
import { m014_personal_access_tokens } from './014_personal_access_tokens.ts';

const m001_initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('users')
      .addColumn('did', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('handle', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('platform_sessions')
      .addColumn('sid', 'text', (c) => c.primaryKey())
      .addColumn('did', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('platform_sessions_expires').on('platform_sessions').column('expires_at').execute();

    for (const table of ['atproto_states', 'atproto_sessions']) {
      await db.schema
        .createTable(table)
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema.createIndex(`${table}_expires`).on(table).column('expires_at').execute();
    }

    await db.schema
      .createTable('pending_signups')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('did', 'text', (c) => c.notNull())
      .addColumn('handle', 'text')
      .addColumn('csrf', 'text', (c) => c.notNull())
      .addColumn('return_to', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('pending_signups_expires').on('pending_signups').column('expires_at').execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['pending_signups', 'atproto_sessions', 'atproto_states', 'platform_sessions', 'users']) {
      await sql`drop table if exists ${sql.table(table)}`.execute(db);
    }
  },
};

const m002_cli_logins: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('cli_logins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('confirmation_code', 'text', (c) => c.notNull())
      .addColumn('client_name', 'text', (c) => c.notNull())
      .addColumn('client_address', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('did', 'text')
      .addColumn('handle', 'text')
      .addColumn('browser_hash', 'text')
      .addColumn('csrf', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('cli_logins_expires').on('cli_logins').column('expires_at').execute();
    await db.schema.createIndex('cli_logins_browser').on('cli_logins').column('browser_hash').execute();
  },
  async down(db: Kysely<any>) {
    await sql`drop table if exists cli_logins`.execute(db);
  },
};

const m003_wikis_and_clients: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('wikis')
      // Immutable: tokens carry it, so a wiki re-created under the same slug never accepts old tokens.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('owner_did', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('wikis_owner').on('wikis').column('owner_did').execute();

    await db.schema
      .createTable('oauth_clients')
      .addColumn('client_id', 'text', (c) => c.primaryKey())
      // Registrations belong to one wiki's issuer; a client_id is meaningless at another wiki.
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('oauth_clients_unused').on('oauth_clients').columns(['last_used_at', 'created_at']).execute();
  },
  async down(db: Kysely<any>) {
    await sql`drop table if exists oauth_clients`.execute(db);
    await sql`drop table if exists wikis`.execute(db);
  },
};

const m004_grants_and_codes: Migration = {
  async up(db: Kysely<any>) {
    // A grant is one user's consent for one client at one wiki; codes and tokens hang off it, so
    // revoking the grant revokes everything it issued.
    await db.schema
      .createTable('grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_did', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('grants_lookup').on('grants').columns(['wiki_id', 'client_id', 'user_did']).execute();

    // A validated authorization request waiting for the user's consent.
    await db.schema
      .createTable('authorization_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_did', 'text', (c) => c.notNull())
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('state', 'text')
      .addColumn('code_challenge', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('csrf', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('authorization_codes')
      .addColumn('code_hash', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_did', 'text', (c) => c.notNull())
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('code_challenge', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('consumed_at', 'bigint')
      // Set when the attempt that consumed the code was a valid one: only then is a later replay
      // evidence of theft that revokes the grant (OAuth 2.1 "Reuse of Authorization Codes").
      .addColumn('validly_consumed_at', 'bigint')
      .execute();

    // Opaque, hashed, rotated on every use; a family is one chain of rotations from one code.
    await db.schema
      .createTable('refresh_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('family_id', 'text', (c) => c.notNull())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_did', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('family_started_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('rotated_at', 'bigint')
      .execute();
    await db.schema.createIndex('refresh_tokens_grant').on('refresh_tokens').column('grant_id').execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['refresh_tokens', 'authorization_codes', 'authorization_requests', 'grants'])
      await sql`drop table if exists ${sql.table(table)}`.execute(db);
  },
};

const m005_pages_and_sharing: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('wikis')
      .addColumn('anonymous_read', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('wiki_members')
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('did', 'text', (c) => c.notNull())
      // As resolved (and verified both ways) when the owner added them; shown on the dashboard.
      .addColumn('handle', 'text')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('added_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('wiki_members_pkey', ['wiki_id', 'did'])
      .execute();
    await db.schema.createIndex('wiki_members_did').on('wiki_members').column('did').execute();

    await db.schema
      .createTable('pages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addUniqueConstraint('pages_wiki_path_key', ['wiki_id', 'path'])
      .execute();
    await db.schema.createIndex('pages_recent').on('pages').columns(['wiki_id', 'updated_at']).execute();

    await db.schema
      .createTable('page_revisions')
      .addColumn('page_id', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('content', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('author_did', 'text', (c) => c.notNull())
      .addColumn('message', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('page_revisions_pkey', ['page_id', 'revision'])
      .execute();
    await db.schema.createIndex('page_revisions_recent').on('page_revisions').columns(['wiki_id', 'created_at']).execute();
    await db.schema.createIndex('page_revisions_path').on('page_revisions').columns(['wiki_id', 'path']).execute();

    await db.schema
      .createTable('page_links')
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('from_page_id', 'text', (c) => c.notNull())
      .addColumn('to_path', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('page_links_pkey', ['from_page_id', 'to_path'])
      .execute();
    await db.schema.createIndex('page_links_target').on('page_links').columns(['wiki_id', 'to_path']).execute();

    // Full-text search: FTS5 on SQLite (porter stemming, bm25 ranking); on PostgreSQL a generated
    // tsvector with a GIN index, the path weighted above the body (its slashes made spaces, or the
    // parser would read `a/b` as one file-name token).
    if (db.getExecutor().adapter instanceof SqliteAdapter) {
      await sql`create virtual table page_search using fts5(path, content, page_id unindexed, wiki_id unindexed, tokenize = 'porter unicode61 remove_diacritics 2')`.execute(
        db,
      );
    } else {
      await sql`alter table pages add column search tsvector generated always as (setweight(to_tsvector('english', replace(path, '/', ' ')), 'A') || setweight(to_tsvector('english', content), 'B')) stored`.execute(
        db,
      );
      await sql`create index pages_search on pages using gin (search)`.execute(db);
    }

    await db.schema
      .createTable('wiki_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('wiki_id', 'text', (c) => c.notNull())
      .addColumn('owner_did', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('wiki_tokens_wiki').on('wiki_tokens').column('wiki_id').execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['wiki_tokens', 'page_search', 'page_links', 'page_revisions', 'pages', 'wiki_members'])
      await sql`drop table if exists ${sql.table(table)}`.execute(db);
    await db.schema.alterTable('wikis').dropColumn('anonymous_read').execute();
  },
};

const m006_cli_login_attempts: Migration = {
  async up(db: Kysely<any>) {
    // Confirmation codes are now typed by the person and stored hashed (catalogue CL-03). A login in
    // progress holds its code in clear and cannot be confirmed the new way: it is ended (the CLI says
    // so; logins live 10 minutes), and the codes of finished ones are blanked.
    await db.deleteFrom('cli_logins').where('status', 'in', ['pending', 'signing_up', 'authenticated']).execute();
    await db.updateTable('cli_logins').set({ confirmation_code: '' }).execute();
    await db.schema.alterTable('cli_logins').renameColumn('confirmation_code', 'code_hash').execute();
    await db.schema
      .alterTable('cli_logins')
      .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('cli_logins').dropColumn('failed_attempts').execute();
    await db.schema.alterTable('cli_logins').renameColumn('code_hash', 'confirmation_code').execute();
  },
};

const m007_rate_limits: Migration = {
  async up(db: Kysely<any>) {
    // PostgreSQL: unlogged, because counts that last a minute need no WAL (a crash or a failover
    // forgets them, which only hands clients a fresh window).
    let table = db.schema.createTable('rate_limits');
    if (!(db.getExecutor().adapter instanceof SqliteAdapter)) table = table.modifyFront(sql`unlogged`);
    await table
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('rate_limits_pkey', ['bucket', 'address', 'window_start'])
      .execute();
    await db.schema.createIndex('rate_limits_expires').on('rate_limits').column('expires_at').execute();
  },
  async down(db: Kysely<any>) {
    await sql`drop table if exists rate_limits`.execute(db);
  },
};

const m008_one_live_grant: Migration = {
  async up(db: Kysely<any>) {
    // One live grant per (wiki, client, user), so that the database, not a read-then-write, decides
    // concurrent consents (store/grants.ts). Duplicates left by earlier races are merged into the
    // oldest live one (then the lowest id): it takes the union of their scopes, which is what the
    // consents would have recorded in turn, and the codes and refresh tokens issued under the others,
    // so no client loses access it was given. The others are revoked rather than deleted: their ids
    // stay in the audit log.
    const now = Math.floor(Date.now() / 1000);
    const duplicated = await db
      .selectFrom('grants')
      .select(['wiki_id', 'client_id', 'user_did'])
      .where('revoked_at', 'is', null)
      .groupBy(['wiki_id', 'client_id', 'user_did'])
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    for (const key of duplicated) {
      const [oldest, ...others] = await db
        .selectFrom('grants')
        .select(['id', 'scope'])
        .where('wiki_id', '=', key.wiki_id)
        .where('client_id', '=', key.client_id)
        .where('user_did', '=', key.user_did)
        .where('revoked_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const survivor = oldest!; // the key has at least two live grants
      const otherIds = others.map((grant) => grant.id);
      const scope = others.reduce((merged, grant) => unionOfScopes(merged, grant.scope), survivor.scope);
      await db.updateTable('grants').set({ scope }).where('id', '=', survivor.id).execute();
      for (const table of ['authorization_codes', 'refresh_tokens'])
        await db.updateTable(table).set({ grant_id: survivor.id }).where('grant_id', 'in', otherIds).execute();
      await db.updateTable('grants').set({ revoked_at: now }).where('id', 'in', otherIds).execute();
    }
    await sql`create unique index grants_one_live on grants (wiki_id, client_id, user_did) where revoked_at is null`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop index if exists grants_one_live`.execute(db);
  },
};

export const migrations: Record<string, Migration> = {
  '001_initial': m001_initial,
  '002_cli_logins': m002_cli_logins,
  '003_wikis_and_clients': m003_wikis_and_clients,
  '004_grants_and_codes': m004_grants_and_codes,
  '005_pages_and_sharing': m005_pages_and_sharing,
  '006_cli_login_attempts': m006_cli_login_attempts,
  '007_rate_limits': m007_rate_limits,
  '008_one_live_grant': m008_one_live_grant,
  '009_wiki_description': m009_wiki_description,
  '010_wiki_scale': m010_wiki_scale,
  '011_attachments': m011_attachments,
  '012_semantic_search': m012_semantic_search,
  '013_administration': m013_administration,
  '014_personal_access_tokens': m014_personal_access_tokens,
};
