// Numbered migrations, run at start and by `robot migrate`. Never edit a shipped migration: add one.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';

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
    for (const table of ['refresh_tokens', 'authorization_codes', 'authorization_requests', 'grants']) await sql`drop table if exists ${sql.table(table)}`.execute(db);
  },
};

export const migrations: Record<string, Migration> = {
  '001_initial': m001_initial,
  '002_cli_logins': m002_cli_logins,
  '003_wikis_and_clients': m003_wikis_and_clients,
  '004_grants_and_codes': m004_grants_and_codes,
};
