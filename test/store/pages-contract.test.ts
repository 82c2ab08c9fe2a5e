// The wiki stores (pages, history, links, search, collaborators, bearer tokens, deletion) behave the
// same on embedded SQLite and on a real PostgreSQL server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { pageStore } from '../../src/store/pages.ts';
import { wikiTokenStore } from '../../src/store/wiki-tokens.ts';
import { wikiStore, type Wiki } from '../../src/store/wikis.ts';
import { WikiError, wikiPages, type WikiPages } from '../../src/wiki/pages.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

const ALICE = 'did:plc:aliceaaaaaaaaaaaaaaaaaaa';
const BOB = 'did:plc:bobaaaaaaaaaaaaaaaaaaaaa';
let clock = 1_800_000_000;
const now = () => clock;

const code = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WikiError) return error.code;
    throw error;
  }
  return 'ok';
};

for (const kind of TEST_DATABASES) {
  describe(`wiki stores on ${kind}`, () => {
    let testDb: TestDatabase;
    let handle: DatabaseHandle;
    let pages: WikiPages;
    let wiki: Wiki;

    before(async () => {
      testDb = await createTestDatabase(kind);
      handle = await openDatabase(testDb.url);
      await migrateToLatest(handle.db);
      pages = wikiPages(pageStore(handle.db, handle.dialect), { pageBytes: 2048, wikiBytes: 8192 }, now);
      wiki = await wikiStore(handle.db, handle.dialect).create({ slug: 'lab', ownerDid: ALICE, displayName: 'Lab' }, now());
    });
    after(async () => {
      await handle?.close();
      await testDb?.drop();
    });

    test('create, read, replace with the right base revision; history keeps every text', async () => {
      const created = await pages.write(wiki.id, ALICE, { path: ' Projects / Robot  Arm ', content: 'First draft.', message: 'start' });
      assert.deepEqual([created.path, created.revision], ['Projects/Robot Arm', 1]);
      clock += 10;
      const replaced = await pages.write(wiki.id, BOB, { path: 'Projects/Robot Arm', content: 'Second draft.', baseRevision: 1 });
      assert.equal(replaced.revision, 2);
      const current = await pages.read(wiki.id, 'Projects/Robot Arm');
      assert.deepEqual([current.content, current.revision, current.updatedBy], ['Second draft.', 2, BOB]);
      assert.equal((await pages.read(wiki.id, 'Projects/Robot Arm', 1)).content, 'First draft.');
      const history = await pages.history(wiki.id, 'Projects/Robot Arm', 10);
      assert.deepEqual(
        history.map((r) => [r.revision, r.action, r.author_did, r.message]),
        [
          [2, 'edit', BOB, null],
          [1, 'create', ALICE, 'start'],
        ],
      );
    });

    test('a stale or missing base revision is a conflict and saves nothing', async () => {
      assert.equal(await code(pages.write(wiki.id, ALICE, { path: 'Projects/Robot Arm', content: 'stale', baseRevision: 1 })), 'conflict');
      assert.equal(await code(pages.write(wiki.id, ALICE, { path: 'Projects/Robot Arm', content: 'blind overwrite' })), 'exists');
      assert.equal((await pages.read(wiki.id, 'Projects/Robot Arm')).content, 'Second draft.');
    });

    test('20 concurrent writers on one base revision: exactly one wins, the rest conflict', async () => {
      await pages.write(wiki.id, ALICE, { path: 'Race', content: 'v1' });
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => code(pages.write(wiki.id, ALICE, { path: 'Race', content: `writer ${i}`, baseRevision: 1 }))),
      );
      assert.equal(outcomes.filter((o) => o === 'ok').length, 1);
      assert.equal(outcomes.filter((o) => o === 'conflict').length, 19);
      assert.equal((await pages.history(wiki.id, 'Race', 50)).length, 2);
    });

    test('10 concurrent creates of one path: exactly one page', async () => {
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => code(pages.write(wiki.id, ALICE, { path: 'Fresh', content: `creator ${i}` }))));
      assert.equal(outcomes.filter((o) => o === 'ok').length, 1);
      assert.ok(outcomes.every((o) => o === 'ok' || o === 'exists'));
    });

    test('edit replaces exactly one occurrence; no match and ambiguous match are refused', async () => {
      await pages.write(wiki.id, ALICE, { path: 'Edit me', content: 'alpha beta beta gamma' });
      assert.equal(await code(pages.edit(wiki.id, ALICE, { path: 'Edit me', oldString: 'delta', newString: 'x' })), 'no_match');
      assert.equal(await code(pages.edit(wiki.id, ALICE, { path: 'Edit me', oldString: 'beta', newString: 'x' })), 'no_match');
      assert.equal(await code(pages.edit(wiki.id, ALICE, { path: 'Edit me', oldString: 'alpha', newString: 'x', baseRevision: 7 })), 'conflict');
      const edited = await pages.edit(wiki.id, ALICE, { path: 'Edit me', oldString: 'beta gamma', newString: 'omega' });
      assert.equal(edited.revision, 2);
      assert.equal((await pages.read(wiki.id, 'Edit me')).content, 'alpha beta omega');
    });

    test('links, backlinks, wanted pages and orphans follow the current text', async () => {
      await pages.write(wiki.id, ALICE, { path: 'Hub', content: 'See [[Spoke A]], [[Spoke B|the second]] and [[Missing#Intro]]. [[Hub]] is me.' });
      await pages.write(wiki.id, ALICE, { path: 'Spoke A', content: 'Back to [[Hub]].' });
      await pages.write(wiki.id, ALICE, { path: 'Spoke B', content: 'Alone.' });
      const links = await pages.links(wiki.id, 'Hub');
      assert.deepEqual(links.outgoing, [
        { path: 'Hub', exists: true },
        { path: 'Missing', exists: false },
        { path: 'Spoke A', exists: true },
        { path: 'Spoke B', exists: true },
      ]);
      assert.deepEqual(links.backlinks, ['Spoke A']);
      const orphans = await pages.orphans(wiki.id);
      assert.ok(!orphans.includes('Hub') && !orphans.includes('Spoke A') && !orphans.includes('Spoke B'));
      assert.ok(orphans.includes('Race'));
      const hub = await pages.read(wiki.id, 'Hub');
      await pages.write(wiki.id, ALICE, { path: 'Hub', content: 'Only [[Spoke A]] now.', baseRevision: hub.revision });
      assert.ok((await pages.orphans(wiki.id)).includes('Spoke B'));
    });

    test('search finds stemmed words in text and path, best first, and survives query syntax', async () => {
      await pages.write(wiki.id, ALICE, { path: 'Gardening/Tomatoes', content: 'Tomatoes need staking and plenty of watering in July.' });
      await pages.write(wiki.id, ALICE, { path: 'Cooking', content: 'A sauce made from tomatoes.' });
      const hits = await pages.search(wiki.id, 'tomato', 10);
      assert.deepEqual(hits.map((h) => h.path).sort(), ['Cooking', 'Gardening/Tomatoes']);
      assert.equal(hits[0]!.path, 'Gardening/Tomatoes');
      assert.match(hits.find((h) => h.path === 'Cooking')!.snippet, /«tomatoes»/i);
      assert.deepEqual(
        (await pages.search(wiki.id, 'watered staking', 10)).map((h) => h.path),
        ['Gardening/Tomatoes'],
      );
      for (const hostile of ['"unbalanced', 'NEAR(a b', 'a OR', '*', "'; drop table pages; --", 'AND'])
        assert.ok(Array.isArray(await pages.search(wiki.id, hostile, 10)));
    });

    test('rename keeps history and moves search; delete keeps history; the path can be reused', async () => {
      await pages.write(wiki.id, ALICE, { path: 'Old name', content: 'Unique zebra text.' });
      const renamed = await pages.rename(wiki.id, BOB, { path: 'Old name', newPath: 'New name', message: 'clearer' });
      assert.equal(renamed.revision, 2);
      assert.equal(await code(pages.read(wiki.id, 'Old name')), 'not_found');
      assert.deepEqual(
        (await pages.search(wiki.id, 'zebra', 5)).map((h) => h.path),
        ['New name'],
      );
      assert.equal(await code(pages.rename(wiki.id, BOB, { path: 'New name', newPath: 'Hub' })), 'exists');
      const deleted = await pages.remove(wiki.id, ALICE, { path: 'New name', message: 'obsolete' });
      assert.equal(deleted.revision, 3);
      assert.equal(await code(pages.read(wiki.id, 'New name')), 'not_found');
      assert.deepEqual(await pages.search(wiki.id, 'zebra', 5), []);
      assert.deepEqual(
        (await pages.history(wiki.id, 'New name', 10)).map((r) => r.action),
        ['delete', 'rename', 'create'],
      );
      assert.equal((await pages.read(wiki.id, 'New name', 2)).content, 'Unique zebra text.');
      const reborn = await pages.write(wiki.id, ALICE, { path: 'New name', content: 'Fresh start.' });
      assert.equal(reborn.revision, 1);
    });

    test('list filters by prefix (wildcards literal) and change time; recent changes are newest first', async () => {
      clock += 1;
      await pages.write(wiki.id, ALICE, { path: 'Pro%ject', content: 'percent' });
      assert.deepEqual(
        (await pages.list(wiki.id, { prefix: 'Projects/', limit: 10 })).map((p) => p.path),
        ['Projects/Robot Arm'],
      );
      assert.deepEqual(
        (await pages.list(wiki.id, { prefix: 'Pro%', limit: 10 })).map((p) => p.path),
        ['Pro%ject'],
      );
      clock += 100;
      await pages.write(wiki.id, BOB, { path: 'Latest', content: 'newest' });
      assert.deepEqual(
        (await pages.list(wiki.id, { updatedSince: clock, limit: 10 })).map((p) => p.path),
        ['Latest'],
      );
      const recent = await pages.recentChanges(wiki.id, 2);
      assert.deepEqual(
        recent.map((r) => [r.path, r.author_did]),
        [
          ['Latest', BOB],
          ['Pro%ject', ALICE],
        ],
      );
    });

    test('size limits per page and per wiki are clear errors that save nothing', async () => {
      assert.equal(await code(pages.write(wiki.id, ALICE, { path: 'Big', content: 'x'.repeat(2049) })), 'too_large');
      const outcomes = [];
      for (let i = 0; i < 6; i++) outcomes.push(await code(pages.write(wiki.id, ALICE, { path: `Filler ${i}`, content: 'y'.repeat(2000) })));
      assert.ok(outcomes.includes('too_large'));
      assert.equal(await code(pages.read(wiki.id, `Filler ${outcomes.indexOf('too_large')}`)), 'not_found');
      assert.equal(await code(pages.write(wiki.id, ALICE, { path: 'Bad//path', content: '' })), 'invalid_path');
      assert.equal(await code(pages.write(wiki.id, ALICE, { path: 'a/../b', content: '' })), 'invalid_path');
      assert.equal(await code(pages.write(wiki.id, ALICE, { path: '[[x]]', content: '' })), 'invalid_path');
    });

    test('collaborators: add, change role, list wikis by membership, remove revokes their grants and tokens', async () => {
      const wikis = wikiStore(handle.db, handle.dialect);
      const tokens = wikiTokenStore(handle.db);
      await wikis.setMember({ wikiId: wiki.id, did: BOB, handle: null, role: 'read' }, now());
      await wikis.setMember({ wikiId: wiki.id, did: BOB, handle: null, role: 'write' }, now());
      assert.equal((await wikis.member(wiki.id, BOB))?.role, 'write');
      assert.deepEqual(
        (await wikis.listForMember(BOB)).map((w) => [w.slug, w.role]),
        [['lab', 'write']],
      );
      assert.deepEqual(
        (await wikis.listForMember(ALICE)).map((w) => [w.slug, w.role]),
        [['lab', 'owner']],
      );
      await handle.db
        .insertInto('grants')
        .values({ id: 'g-bob', wiki_id: wiki.id, client_id: 'c', user_did: BOB, scope: 'wiki:read', created_at: now(), revoked_at: null })
        .execute();
      await tokens.create({ wikiId: wiki.id, ownerDid: BOB, name: 'laptop', tokenHash: 'hash-bob', scope: 'wiki:read' }, now());
      assert.equal(await wikis.removeMember(wiki.id, BOB, now()), true);
      assert.equal(await wikis.member(wiki.id, BOB), undefined);
      assert.notEqual((await handle.db.selectFrom('grants').select('revoked_at').where('id', '=', 'g-bob').executeTakeFirstOrThrow()).revoked_at, null);
      assert.equal(await tokens.findByHash('hash-bob'), undefined);
    });

    test('bearer tokens: stored by hash, last use recorded at most once a minute, revocable', async () => {
      const tokens = wikiTokenStore(handle.db);
      const made = await tokens.create({ wikiId: wiki.id, ownerDid: ALICE, name: 'ci', tokenHash: 'hash-ci', scope: 'wiki:read wiki:write' }, now());
      await tokens.touch(made.id, now());
      await tokens.touch(made.id, now() + 30);
      assert.equal((await tokens.findByHash('hash-ci'))?.last_used_at, now());
      await tokens.touch(made.id, now() + 61);
      assert.equal((await tokens.findByHash('hash-ci'))?.last_used_at, now() + 61);
      assert.deepEqual(
        (await tokens.listForWiki(wiki.id)).map((t) => t.name),
        ['ci'],
      );
      assert.equal(await tokens.revoke(wiki.id, made.id), true);
      assert.equal(await tokens.findByHash('hash-ci'), undefined);
    });

    test('deleting a wiki removes its pages, search rows and tokens; the slug can be reused with a new id', async () => {
      const wikis = wikiStore(handle.db, handle.dialect);
      const doomed = await wikis.create({ slug: 'doomed', ownerDid: ALICE, displayName: 'Doomed' }, now());
      await pages.write(doomed.id, ALICE, { path: 'Secret', content: 'quokka' });
      await wikiTokenStore(handle.db).create({ wikiId: doomed.id, ownerDid: ALICE, name: 't', tokenHash: 'hash-doomed', scope: 'wiki:read' }, now());
      await wikis.delete(doomed.id);
      assert.equal(await wikis.findBySlug('doomed'), undefined);
      const again = await wikis.create({ slug: 'doomed', ownerDid: BOB, displayName: 'Again' }, now());
      assert.notEqual(again.id, doomed.id);
      assert.deepEqual(await pages.search(again.id, 'quokka', 5), []);
      assert.deepEqual(await pages.search(doomed.id, 'quokka', 5), []);
      assert.equal(await wikiTokenStore(handle.db).findByHash('hash-doomed'), undefined);
      assert.equal(await code(pages.read(again.id, 'Secret')), 'not_found');
    });
  });
}
