// The wiki stores (pages, history, links, search, collaborators, bearer tokens, deletion) behave the
// same on embedded SQLite and on a real PostgreSQL server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { pageStore } from '../../src/store/pages.ts';
import { wikiTokenStore } from '../../src/store/wiki-tokens.ts';
import { wikiStore, type Wiki } from '../../src/store/wikis.ts';
import { WikiError, wikiPages, type WikiPages } from '../../src/wiki/pages.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

const ALICE = 'did:plc:aliceaaaaaaaaaaaaaaaaaaa';
const BOB = 'did:plc:bobaaaaaaaaaaaaaaaaaaaaa';
/** Owns the wikis of the paging, label, rename, section, search and size tests, so Alice's and Bob's lists stay as the collaborator test expects. */
const CAROL = 'did:plc:carolaaaaaaaaaaaaaaaaaaa';
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
      pages = wikiPages(pageStore(handle.db), { pageBytes: 2048, wikiBytes: 8192 }, now);
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
      const history = (await pages.history(wiki.id, 'Projects/Robot Arm', 10)).items;
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
      assert.equal((await pages.history(wiki.id, 'Race', 50)).items.length, 2);
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
      const hits = (await pages.search(wiki.id, 'tomato', 10)).items;
      assert.deepEqual(hits.map((h) => h.path).sort(), ['Cooking', 'Gardening/Tomatoes']);
      assert.equal(hits[0]!.path, 'Gardening/Tomatoes');
      assert.match(hits.find((h) => h.path === 'Cooking')!.snippet, /«tomatoes»/i);
      assert.deepEqual(
        (await pages.search(wiki.id, 'watered staking', 10)).items.map((h) => h.path),
        ['Gardening/Tomatoes'],
      );
      for (const hostile of ['"unbalanced', 'NEAR(a b', 'a OR', '*', "'; drop table pages; --", 'AND'])
        assert.ok(Array.isArray((await pages.search(wiki.id, hostile, 10)).items));
    });

    test('rename keeps history and moves search; delete keeps history; the path can be reused', async () => {
      await pages.write(wiki.id, ALICE, { path: 'Old name', content: 'Unique zebra text.' });
      const renamed = await pages.rename(wiki.id, BOB, { path: 'Old name', newPath: 'New name', message: 'clearer' });
      assert.equal(renamed.revision, 2);
      assert.equal(await code(pages.read(wiki.id, 'Old name')), 'not_found');
      assert.deepEqual(
        (await pages.search(wiki.id, 'zebra', 5)).items.map((h) => h.path),
        ['New name'],
      );
      assert.equal(await code(pages.rename(wiki.id, BOB, { path: 'New name', newPath: 'Hub' })), 'exists');
      const deleted = await pages.remove(wiki.id, ALICE, { path: 'New name', message: 'obsolete' });
      assert.equal(deleted.revision, 3);
      assert.equal(await code(pages.read(wiki.id, 'New name')), 'not_found');
      assert.deepEqual((await pages.search(wiki.id, 'zebra', 5)).items, []);
      assert.deepEqual(
        (await pages.history(wiki.id, 'New name', 10)).items.map((r) => r.action),
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
        (await pages.list(wiki.id, { prefix: 'Projects/', limit: 10 })).items.map((p) => p.path),
        ['Projects/Robot Arm'],
      );
      assert.deepEqual(
        (await pages.list(wiki.id, { prefix: 'Pro%', limit: 10 })).items.map((p) => p.path),
        ['Pro%ject'],
      );
      clock += 100;
      await pages.write(wiki.id, BOB, { path: 'Latest', content: 'newest' });
      assert.deepEqual(
        (await pages.list(wiki.id, { updatedSince: clock, limit: 10 })).items.map((p) => p.path),
        ['Latest'],
      );
      const recent = (await pages.recentChanges(wiki.id, 2)).items;
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

    test('every listing pages with a cursor: nothing twice, nothing left out, a foreign cursor refused', async () => {
      const shelf = await wikiStore(handle.db, handle.dialect).create({ slug: 'shelf', ownerDid: CAROL, displayName: 'Shelf' }, now());
      for (let i = 0; i < 7; i++) {
        clock += 1;
        await pages.write(shelf.id, ALICE, { path: `Book ${i}`, content: `A novel about a lighthouse, volume ${i}.` });
      }
      for (let r = 2; r <= 5; r++) {
        const book = await pages.read(shelf.id, 'Book 3');
        await pages.write(shelf.id, BOB, { path: 'Book 3', content: `Revised ${r}: a lighthouse.`, baseRevision: book.revision });
      }
      async function all<T>(next: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | undefined }>): Promise<T[]> {
        const seen: T[] = [];
        let cursor: string | undefined;
        do {
          const page = await next(cursor);
          assert.ok(page.items.length <= 3);
          seen.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        return seen;
      }
      assert.deepEqual(
        (await all((cursor) => pages.list(shelf.id, { limit: 3, cursor }))).map((p) => p.path),
        Array.from({ length: 7 }, (_, i) => `Book ${i}`),
      );
      assert.deepEqual(
        (await all((cursor) => pages.history(shelf.id, 'Book 3', 3, cursor))).map((r) => r.revision),
        [5, 4, 3, 2, 1],
      );
      const changes = await all((cursor) => pages.recentChanges(shelf.id, 3, cursor));
      assert.equal(changes.length, 11);
      assert.deepEqual(changes, (await pages.recentChanges(shelf.id, 50)).items);
      const hits = await all((cursor) => pages.search(shelf.id, 'lighthouse', 3, cursor));
      assert.deepEqual(
        hits.map((h) => h.path).sort(),
        Array.from({ length: 7 }, (_, i) => `Book ${i}`),
      );
      assert.equal((await pages.list(shelf.id, { limit: 7 })).nextCursor, undefined);

      const listCursor = (await pages.list(shelf.id, { limit: 3 })).nextCursor!;
      assert.equal(await code(pages.history(shelf.id, 'Book 3', 3, listCursor)), 'invalid_input');
      for (const forged of ['garbage', Buffer.from('{"k":"history","p":99999999999}').toString('base64url')])
        assert.equal(await code(pages.history(shelf.id, 'Book 3', 3, forged)), 'invalid_input');
    });

    test('list filters by front-matter tag and category, case ignored, following each edit', async () => {
      const tagged = await wikiStore(handle.db, handle.dialect).create({ slug: 'tagged', ownerDid: CAROL, displayName: 'Tagged' }, now());
      await pages.write(tagged.id, ALICE, { path: 'Roses', content: '---\ntags: [Garden, "#flowers"]\ncategory: Plants\n---\n# Roses' });
      await pages.write(tagged.id, ALICE, { path: 'Basil', content: '---\ntags: garden, herbs\ncategories:\n  - plants\n  - kitchen\n---\nBasil.' });
      await pages.write(tagged.id, ALICE, { path: 'Broken', content: '---\ntags: [garden\n---\nUnclosed YAML is still a page.' });
      await pages.write(tagged.id, ALICE, { path: 'Late', content: 'No front matter.\n---\ntags: [garden]\n---' });
      const tag = async (filter: { tag?: string; category?: string }) => (await pages.list(tagged.id, { ...filter, limit: 10 })).items.map((p) => p.path);
      assert.deepEqual(await tag({ tag: 'garden' }), ['Basil', 'Roses']);
      assert.deepEqual(await tag({ tag: 'FLOWERS' }), ['Roses']);
      assert.deepEqual(await tag({ category: 'plants' }), ['Basil', 'Roses']);
      assert.deepEqual(await tag({ tag: 'garden', category: 'kitchen' }), ['Basil']);
      assert.deepEqual(await tag({ tag: 'missing' }), []);
      assert.equal((await pages.read(tagged.id, 'Broken')).revision, 1);
      const roses = await pages.read(tagged.id, 'Roses');
      await pages.write(tagged.id, ALICE, { path: 'Roses', content: '# Roses, untagged', baseRevision: roses.revision });
      assert.deepEqual(await tag({ tag: 'garden' }), ['Basil']);
      await pages.remove(tagged.id, ALICE, { path: 'Basil' });
      assert.deepEqual(await tag({ category: 'plants' }), []);
      // Another wiki's labels never show here.
      assert.deepEqual((await pages.list(wiki.id, { tag: 'herbs', limit: 10 })).items, []);
    });

    test('rename rewrites [[links]] to the old path in every linking page, as one change; code keeps its text', async () => {
      const atlas = await wikiStore(handle.db, handle.dialect).create({ slug: 'atlas', ownerDid: CAROL, displayName: 'Atlas' }, now());
      await pages.write(atlas.id, ALICE, { path: 'Maps/Old', content: 'Myself: [[Maps/Old#Legend]].' });
      await pages.write(atlas.id, ALICE, {
        path: 'Index',
        content: 'See [[Maps/Old]], [[ Maps / Old |the map]] and [[Maps/Old#Legend|legend]]. Not [[Maps/Older]].',
      });
      await pages.write(atlas.id, ALICE, { path: 'Code', content: 'Inline `[[Maps/Old]]` and\n\n```\n[[Maps/Old]]\n```\n\nbut [[Maps/Old]] here.' });
      await pages.write(atlas.id, ALICE, { path: 'Unrelated', content: 'Nothing to see.' });
      const renamed = await pages.rename(atlas.id, BOB, { path: 'Maps/Old', newPath: 'Maps/New', message: 'clearer' });
      assert.deepEqual(renamed.linksRewrittenIn.toSorted(), ['Code', 'Index', 'Maps/New']);
      assert.equal((await pages.read(atlas.id, 'Index')).content, 'See [[Maps/New]], [[Maps/New|the map]] and [[Maps/New#Legend|legend]]. Not [[Maps/Older]].');
      assert.equal((await pages.read(atlas.id, 'Code')).content, 'Inline `[[Maps/Old]]` and\n\n```\n[[Maps/Old]]\n```\n\nbut [[Maps/New]] here.');
      const self = await pages.read(atlas.id, 'Maps/New');
      assert.deepEqual([self.content, self.revision, renamed.revision], ['Myself: [[Maps/New#Legend]].', 3, 3]);
      const indexHistory = (await pages.history(atlas.id, 'Index', 5)).items;
      assert.deepEqual(
        indexHistory.map((r) => [r.action, r.author_did, r.message]),
        [
          ['edit', BOB, 'Links to "Maps/Old" now point to "Maps/New" (renamed).'],
          ['create', ALICE, null],
        ],
      );
      assert.equal((await pages.read(atlas.id, 'Unrelated')).revision, 1);
      assert.deepEqual((await pages.links(atlas.id, 'Maps/New')).backlinks, ['Code', 'Index']);
      assert.deepEqual((await pages.search(atlas.id, 'map', 5)).items.map((h) => h.path).includes('Index'), true);
    });

    test('a rename whose rewrite would pass the page limit saves nothing at all', async () => {
      const tight = await wikiStore(handle.db, handle.dialect).create({ slug: 'tight', ownerDid: CAROL, displayName: 'Tight' }, now());
      await pages.write(tight.id, ALICE, { path: 'A', content: 'target' });
      await pages.write(tight.id, ALICE, { path: 'Full', content: `${'[[A]] '.repeat(300)}`.slice(0, 2040) });
      assert.equal(await code(pages.rename(tight.id, ALICE, { path: 'A', newPath: 'A much longer name' })), 'too_large');
      assert.equal((await pages.read(tight.id, 'A')).revision, 1);
      assert.equal((await pages.read(tight.id, 'Full')).revision, 1);
    });

    test('read a section by its heading path; a missing one lists the sections', async () => {
      const content = '---\ntitle: x\n---\n# Setup\nIntro.\n## Linux\napt install\n```\n# not a heading\n```\n## macOS\nbrew\n\nUsage\n=====\nRun it.\n';
      await pages.write(wiki.id, ALICE, { path: 'Guide', content });
      const linux = await pages.read(wiki.id, 'Guide', undefined, 'setup >  LINUX');
      assert.deepEqual([linux.section, linux.content], ['Setup > Linux', '## Linux\napt install\n```\n# not a heading\n```']);
      assert.equal((await pages.read(wiki.id, 'Guide', undefined, 'macOS')).content, '## macOS\nbrew');
      assert.equal(
        (await pages.read(wiki.id, 'Guide', undefined, 'Setup')).content,
        '# Setup\nIntro.\n## Linux\napt install\n```\n# not a heading\n```\n## macOS\nbrew',
      );
      assert.equal((await pages.read(wiki.id, 'Guide', undefined, 'Usage')).content, 'Usage\n=====\nRun it.');
      await assert.rejects(pages.read(wiki.id, 'Guide', undefined, 'Windows'), (error: WikiError) => {
        assert.equal(error.code, 'not_found');
        assert.match(error.message, /no section "Windows".*"Setup", "Setup > Linux", "Setup > macOS", "Usage"/);
        return true;
      });
    });

    test('a wiki is searched alone: the same words elsewhere never answer, and a wiki emptied and refilled is found again', async () => {
      const wikis = wikiStore(handle.db, handle.dialect);
      const north = await wikis.create({ slug: 'north', ownerDid: CAROL, displayName: 'North' }, now());
      const south = await wikis.create({ slug: 'south', ownerDid: CAROL, displayName: 'South' }, now());
      await pages.write(north.id, ALICE, { path: 'Penguins', content: 'Penguins waddle.' });
      await pages.write(south.id, BOB, { path: 'Penguins', content: 'Penguins waddle south.' });
      const [hit, ...others] = (await pages.search(north.id, 'waddle', 5)).items;
      assert.deepEqual([hit?.path, others], ['Penguins', []]);
      assert.match(hit!.snippet, /^Penguins «waddle»\.?$/);
      assert.deepEqual((await pages.search(north.id, 'south', 5)).items, []);
      await pages.remove(north.id, ALICE, { path: 'Penguins' });
      assert.deepEqual((await pages.search(north.id, 'waddle', 5)).items, []);
      await pages.write(north.id, ALICE, { path: 'Walruses', content: 'Walruses waddle too.' });
      assert.deepEqual(
        (await pages.search(north.id, 'waddle', 5)).items.map((h) => h.path),
        ['Walruses'],
      );
      assert.deepEqual(
        (await pages.search(south.id, 'waddle', 5)).items.map((h) => h.path),
        ['Penguins'],
      );
    });

    test('the size counter follows creates, edits, renames and deletes: freed space can be used again', async () => {
      const small = wikiPages(pageStore(handle.db), { pageBytes: 2048, wikiBytes: 3000 }, now);
      const box = await wikiStore(handle.db, handle.dialect).create({ slug: 'box', ownerDid: CAROL, displayName: 'Box' }, now());
      await small.write(box.id, ALICE, { path: 'One', content: 'a'.repeat(1500) });
      await small.write(box.id, ALICE, { path: 'Two', content: 'b'.repeat(1400) });
      assert.equal(await code(small.write(box.id, ALICE, { path: 'Three', content: 'c'.repeat(200) })), 'too_large');
      await small.write(box.id, ALICE, { path: 'Two', content: 'b'.repeat(100), baseRevision: 1 });
      await small.rename(box.id, ALICE, { path: 'Two', newPath: 'Second' });
      assert.equal(await code(small.write(box.id, ALICE, { path: 'Three', content: 'c'.repeat(200) })), 'ok');
      assert.equal(await code(small.write(box.id, ALICE, { path: 'Four', content: 'd'.repeat(1300) })), 'too_large');
      await small.remove(box.id, ALICE, { path: 'One' });
      assert.equal(await code(small.write(box.id, ALICE, { path: 'Four', content: 'd'.repeat(1300) })), 'ok');
    });

    test('010_wiki_scale: pages written before it keep their search, their size toward the limit, and gain their labels', async () => {
      const upgraded = await createTestDatabase(kind);
      const old = await openDatabase(upgraded.url);
      try {
        const migrator = new Migrator({ db: old.db, provider: { getMigrations: async () => migrations } });
        assert.equal((await migrator.migrateTo('008_one_live_grant')).error, undefined);
        const page = (id: string, wikiId: string, path: string, content: string) => ({
          id,
          wiki_id: wikiId,
          path,
          content,
          revision: 1,
          size: Buffer.byteLength(content),
          updated_at: now(),
          updated_by: ALICE,
        });
        const rows = [
          page('p1', 'w-east', 'Otters', `---\ntags: [Rivers]\n---\nOtters swim. ${'x'.repeat(1000)}`),
          page('p2', 'w-east', 'Herons', `Herons fish. ${'y'.repeat(1000)}`),
          page('p3', 'w-west', 'Otters', 'Sea otters float.'),
        ];
        await old.db.insertInto('pages').values(rows).execute();
        if (kind === 'sqlite')
          for (const row of rows)
            await sql`insert into page_search (path, content, page_id, wiki_id) values (${row.path}, ${row.content}, ${row.id}, ${row.wiki_id})`.execute(
              old.db,
            );
        await migrateToLatest(old.db);

        const after = wikiPages(pageStore(old.db), { pageBytes: 2048, wikiBytes: 2600 }, now);
        const found = async (wikiId: string, words: string) => (await after.search(wikiId, words, 5)).items.map((h) => h.path);
        assert.deepEqual(await found('w-east', 'otter'), ['Otters']);
        assert.deepEqual(await found('w-west', 'otters'), ['Otters']);
        assert.deepEqual(await found('w-west', 'herons'), []);
        assert.deepEqual(
          (await after.list('w-east', { tag: 'rivers', limit: 5 })).items.map((p) => p.path),
          ['Otters'],
        );
        // About 2,050 bytes were there before: 600 more would pass 2,600.
        assert.equal(await code(after.write('w-east', ALICE, { path: 'Ducks', content: 'd'.repeat(600) })), 'too_large');
        await after.write('w-east', ALICE, { path: 'Herons', content: 'Herons wade.', baseRevision: 1 });
        assert.deepEqual(await found('w-east', 'wade'), ['Herons']);
        assert.deepEqual(await found('w-east', 'fish'), []);
        assert.equal(await code(after.write('w-east', ALICE, { path: 'Ducks', content: 'Ducks dabble.' })), 'ok');
        assert.deepEqual(await found('w-east', 'dabble'), ['Ducks']);
      } finally {
        await old.close();
        await upgraded.drop();
      }
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
      assert.deepEqual((await pages.search(again.id, 'quokka', 5)).items, []);
      assert.deepEqual((await pages.search(doomed.id, 'quokka', 5)).items, []);
      assert.equal(await wikiTokenStore(handle.db).findByHash('hash-doomed'), undefined);
      assert.equal(await code(pages.read(again.id, 'Secret')), 'not_found');
    });
  });
}
