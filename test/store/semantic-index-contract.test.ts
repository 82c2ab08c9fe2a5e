// The semantic index on embedded SQLite and on a real PostgreSQL server: every page write queues the
// page in its own transaction, a search embeds its wiki's queue first, renames and deletes show at
// once, one wiki never sees (or pays for) another's pages, a write racing the indexer is never lost,
// and a new embedding model re-embeds what the old one made.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configuredEmbedder } from '../../src/embeddings/configured.ts';
import type { Embedder } from '../../src/embeddings/embedder.ts';
import { openAiEmbedder } from '../../src/embeddings/openai.ts';
import { createLogger } from '../../src/log.ts';
import { chunkStore, type ChunkStore } from '../../src/store/chunks.ts';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { pageStore } from '../../src/store/pages.ts';
import { wikiStore, type Wiki } from '../../src/store/wikis.ts';
import { wikiPages, type WikiPages } from '../../src/wiki/pages.ts';
import { semanticIndex, type SemanticIndex } from '../../src/wiki/semantic-index.ts';
import { wikiSemanticSearch, type WikiSemanticSearch } from '../../src/wiki/semantic-search.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { FakeEmbeddings } from '../helpers/fake-embeddings.ts';

const ALICE = 'did:plc:aliceaaaaaaaaaaaaaaaaaaa';
const now = () => Math.floor(Date.now() / 1000);

const BREAD = '# Bread\n## Baking\nPut the loaf in a hot oven for forty minutes until the crust is brown.';
const ROUTER = '# Router\n## Firewall\nThe firewall blocks incoming connections to the office network.';

for (const kind of TEST_DATABASES) {
  describe(`the semantic index on ${kind}`, () => {
    let testDb: TestDatabase;
    let handle: DatabaseHandle;
    let pages: WikiPages;
    let chunks: ChunkStore;
    let kitchen: Wiki;
    let office: Wiki;

    const stack = (embedder: Embedder): { index: SemanticIndex; search: WikiSemanticSearch } => {
      const index = semanticIndex(chunks, embedder, now);
      return { index, search: wikiSemanticSearch({ chunks, index, embedder, fullText: pages.search, log: createLogger('silent'), now }) };
    };
    const paths = async (search: WikiSemanticSearch, wiki: Wiki, query: string) =>
      (await search.search(wiki.id, query, { limit: 10, maxChunksPerPage: 1, mode: 'vector' })).results.map((hit) => hit.path);

    before(async () => {
      testDb = await createTestDatabase(kind);
      handle = await openDatabase(testDb.url);
      await migrateToLatest(handle.db);
      pages = wikiPages(pageStore(handle.db), { pageBytes: 65536, wikiBytes: 1 << 20 }, now);
      chunks = chunkStore(handle.sql);
      const wikis = wikiStore(handle.db, handle.dialect);
      kitchen = await wikis.create({ slug: 'kitchen', ownerDid: ALICE, displayName: 'Kitchen' }, now());
      office = await wikis.create({ slug: 'office', ownerDid: ALICE, displayName: 'Office' }, now());
    });
    after(async () => {
      await handle?.close();
      await testDb?.drop();
    });

    test('a write queues the page; a search embeds it first and finds it by meaning, with its headings', async () => {
      const { search } = stack(configuredEmbedder(undefined));
      await pages.write(kitchen.id, ALICE, { path: 'Recipes/Bread', content: BREAD });
      await pages.write(kitchen.id, ALICE, { path: 'Network', content: ROUTER });
      assert.equal((await chunks.status(kitchen.id)).pending, 2);
      const answer = await search.search(kitchen.id, 'how long should dough cook', { limit: 1, maxChunksPerPage: 1 });
      assert.deepEqual(
        answer.results.map((hit) => [hit.path, hit.headingPath, hit.snippet]),
        [['Recipes/Bread', ['Bread', 'Baking'], 'Put the loaf in a hot oven for forty minutes until the crust is brown.']],
      );
      assert.deepEqual(answer.index, { pending: 0, lagSeconds: 0 });
      assert.deepEqual(await paths(search, kitchen, 'blocking hackers on the internet'), ['Network', 'Recipes/Bread']);
    });

    test('an edit, a rename and a delete are what the next search sees', async () => {
      const { search } = stack(configuredEmbedder(undefined));
      const bread = await pages.read(kitchen.id, 'Recipes/Bread');
      await pages.write(kitchen.id, ALICE, {
        path: 'Recipes/Bread',
        content: '# Bread\n## Storing\nWrap the cooled loaf in a linen cloth.',
        baseRevision: bread.revision,
      });
      const stored = await search.search(kitchen.id, 'keeping a loaf fresh', { limit: 1, maxChunksPerPage: 1 });
      assert.deepEqual(stored.results[0]!.headingPath, ['Bread', 'Storing']);

      await pages.rename(kitchen.id, ALICE, { path: 'Recipes/Bread', newPath: 'Baking/Bread' });
      assert.deepEqual(await paths(search, kitchen, 'keeping a loaf fresh'), ['Baking/Bread', 'Network']);

      await pages.remove(kitchen.id, ALICE, { path: 'Network' });
      assert.deepEqual(await paths(search, kitchen, 'blocking hackers on the internet'), ['Baking/Bread']);
      assert.equal((await chunks.status(kitchen.id)).pending, 0);
    });

    test('one wiki never sees, nor embeds, another wiki’s pages', async () => {
      const { search, index } = stack(configuredEmbedder(undefined));
      await pages.write(office.id, ALICE, { path: 'Firewall', content: ROUTER });
      assert.deepEqual(await paths(search, kitchen, 'firewall office network'), ['Baking/Bread']);
      assert.equal((await index.status(office.id)).pending, 1, 'searching the kitchen left the office queue alone');
      assert.deepEqual(await paths(search, office, 'firewall office network'), ['Firewall']);
    });

    test('the queue’s lag is reported when a search cannot catch up with it', async () => {
      const { search } = stack(configuredEmbedder(undefined));
      for (let n = 0; n < 40; n++) await pages.write(office.id, ALICE, { path: `Bulk/${n}`, content: `Note number ${n} about printers.` });
      const answer = await search.search(office.id, 'printer', { limit: 3, maxChunksPerPage: 1 });
      assert.equal(answer.index.pending, 8, 'a search embeds 32 queued pages of its wiki, no more');
      assert.ok(answer.index.lagSeconds >= 0);
    });

    test('a write that lands while its page is being embedded is not lost', async () => {
      const { index } = stack(configuredEmbedder(undefined));
      await pages.write(kitchen.id, ALICE, { path: 'Soup', content: 'Tomato soup.' });
      const [queued] = await chunks.queued(kitchen.id, 1);
      assert.equal(queued!.path, 'Soup');
      const soup = await pages.read(kitchen.id, 'Soup');
      await pages.write(kitchen.id, ALICE, { path: 'Soup', content: 'Onion soup.', baseRevision: soup.revision });
      assert.equal(await chunks.replace(queued!, index.modelId, []), false, 'chunks of the older text are refused');
      assert.equal((await chunks.status(kitchen.id)).pending, 1);
      // The same revision but a queue row moved on (a write that changed nothing the reader had) is refused too.
      const [again] = await chunks.queued(kitchen.id, 1);
      assert.equal(await chunks.replace({ ...again!, version: again!.version - 1 }, index.modelId, []), false);
      assert.equal(await index.catchUp(kitchen.id, 10), 1);
      assert.equal((await chunks.status(kitchen.id)).pending, 0);
    });

    test('a new embedding model re-embeds every page the old one made, then searches with its own vectors', async () => {
      const endpoint = await FakeEmbeddings.start();
      try {
        const { index, search } = stack(openAiEmbedder({ url: endpoint.url, model: 'fake-embed' }));
        const oldModel = configuredEmbedder(undefined).modelId;
        const before = (await chunks.vectors(kitchen.id, oldModel)).length;
        assert.equal(before, 2, 'Baking/Bread and Soup, one chunk each');
        assert.deepEqual(await chunks.vectors(kitchen.id, 'openai:fake-embed'), []);
        assert.ok((await index.queueOtherModels()) >= 2);
        assert.equal((await index.status(kitchen.id)).pending, 2);
        assert.deepEqual(await paths(search, kitchen, 'linen cloth loaf'), ['Baking/Bread', 'Soup']);
        assert.ok(endpoint.requests.every((request) => request.body.model === 'fake-embed') && endpoint.requests.length > 0);
        assert.equal((await chunks.vectors(kitchen.id, 'openai:fake-embed')).length, before);
        assert.deepEqual(await chunks.vectors(kitchen.id, oldModel), [], 'the old model’s vectors were replaced');
      } finally {
        await endpoint.close();
      }
    });

    test('deleting a wiki deletes its chunks and its queue', async () => {
      await wikiStore(handle.db, handle.dialect).delete(office.id);
      assert.deepEqual(await chunks.status(office.id), { pending: 0, oldestQueuedAt: undefined });
      assert.deepEqual(await chunks.vectors(office.id, configuredEmbedder(undefined).modelId), []);
      assert.deepEqual(await chunks.queued(office.id, 100), []);
    });
  });
}
