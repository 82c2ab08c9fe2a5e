// Personal access tokens: a person's bearer credential for the management API (/api/v1), made and
// revoked by them, stored as a hash only (the token is shown once when it is made).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';

export const m014_personal_access_tokens: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('personal_access_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_did', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('personal_access_tokens_user').on('personal_access_tokens').column('user_did').execute();
  },
  async down(db: Kysely<any>) {
    await sql`drop table if exists personal_access_tokens`.execute(db);
  },
};
