// A wiki's name and description (migration 009) behave the same on embedded SQLite and PostgreSQL:
// a new wiki has no description, the owner's words are kept as given, and every way of finding the
// wiki returns them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { wikiStore, type WikiStore } from '../../src/store/wikis.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

const ALICE = 'did:plc:aliceaaaaaaaaaaaaaaaaaaa';

for (const kind of TEST_DATABASES) {
  describe(`wiki name and description on ${kind}`, () => {
    let testDb: TestDatabase;
    let handle: DatabaseHandle;
    let wikis: WikiStore;

    before(async () => {
      testDb = await createTestDatabase(kind);
      handle = await openDatabase(testDb.url);
      await migrateToLatest(handle.db);
      wikis = wikiStore(handle.db, handle.dialect);
    });
    after(async () => {
      await handle?.close();
      await testDb?.drop();
    });

    test('a new wiki has no description; the owner’s name and description are kept and found by slug and by member', async () => {
      const created = await wikis.create({ slug: 'lab', ownerDid: ALICE, displayName: 'Lab' }, 1);
      assert.equal(created.description, '');
      assert.equal((await wikis.findBySlug('lab'))!.description, '');
      const description = 'Notes on the robot arm — “servos”, gears 🦾 and the garden.';
      await wikis.setDetails(created.id, { displayName: 'Alice’s lab', description });
      const found = (await wikis.findBySlug('lab'))!;
      assert.deepEqual([found.display_name, found.description, found.id], ['Alice’s lab', description, created.id]);
      const mine = await wikis.listForMember(ALICE);
      assert.deepEqual(
        mine.map((wiki) => [wiki.slug, wiki.display_name, wiki.description]),
        [['lab', 'Alice’s lab', description]],
      );
      const other = await wikis.create({ slug: 'other', ownerDid: ALICE, displayName: 'Other' }, 2);
      assert.equal((await wikis.findBySlug('other'))!.description, '', 'setting one wiki’s details leaves the others alone');
      assert.notEqual(other.id, created.id);
    });
  });
}
