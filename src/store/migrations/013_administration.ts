// Issue 13, administration: suspension of users and wikis, invite codes for SIGNUP=invite, and the
// platform audit trail the admin page shows (admin actions, signups refused, accounts deleted).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';

export const m013_administration: Migration = {
  async up(db: Kysely<any>) {
    // Null = in good standing. A flag, not a revocation: every check reads it, so suspension takes
    // effect at once and reinstating restores what was there without a new login.
    await db.schema.alterTable('users').addColumn('suspended_at', 'bigint').execute();
    await db.schema.alterTable('wikis').addColumn('suspended_at', 'bigint').execute();

    await db.schema
      .createTable('invites')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // SHA-256 of the code; the code itself is shown once, to the admin who made it.
      .addColumn('code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      // Who did it (an admin, or the person themselves), and what it was done to: a DID, a wiki slug, an invite id.
      .addColumn('actor_did', 'text')
      .addColumn('subject', 'text')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  },
  async down(db: Kysely<any>) {
    await sql`drop table if exists audit_events`.execute(db);
    await sql`drop table if exists invites`.execute(db);
    await db.schema.alterTable('wikis').dropColumn('suspended_at').execute();
    await db.schema.alterTable('users').dropColumn('suspended_at').execute();
  },
};
