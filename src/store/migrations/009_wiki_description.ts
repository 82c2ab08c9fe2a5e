// A wiki's description, written by its owner: shown on the wiki and given to MCP clients as part of
// the server's instructions. Its display name already has a column (`display_name`, migration 003).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const m009_wiki_description: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('wikis')
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('wikis').dropColumn('description').execute();
  },
};
