// semantic_search through the official MCP SDK client, on SQLite and PostgreSQL: passages found by
// meaning with their heading path, kept current through write, rename and delete, one wiki's pages
// never in another's answer, a read-only caller allowed, bad arguments refused; and a platform
// configured with EMBEDDINGS_URL embeds through that endpoint and answers by words when it fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Wiki } from '../../src/store/wikis.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { FakeEmbeddings } from '../helpers/fake-embeddings.ts';
import { accessTokenFor, connectMcp, connectToWiki, toolText, type McpSession } from '../helpers/mcp.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const BREAD = [
  '# Bread',
  '## Starter',
  'Feed the jar of flour and water every day.',
  '## Baking',
  'Put the loaf in a hot oven for forty minutes until the crust is brown.',
  '## Storing',
  'Wrap the cooled loaf in a linen cloth.',
].join('\n');
const ROUTER = '# Router\n## Firewall\nThe firewall blocks incoming connections to the office network.';

interface Hit {
  path: string;
  heading_path: string[];
  snippet: string;
  score: number;
}

for (const kind of TEST_DATABASES) {
  describe(`semantic_search over MCP on ${kind}`, () => {
    let database: TestDatabase | undefined;
    let fixture: WikiFixture;
    let notes: Wiki;
    let carol: McpSession;
    let reader: McpSession;
    let elsewhere: McpSession;

    const search = async (session: McpSession, args: Record<string, unknown>) => {
      const answer = await session.json('semantic_search', args);
      return answer as { results: Hit[]; index: { pending: number; lag_seconds: number }; warning?: string };
    };

    before(async () => {
      database = kind === 'postgres' ? await createTestDatabase('postgres') : undefined;
      fixture = await startWikiFixture(database ? { DATABASE_URL: database.url } : {});
      const { platform } = fixture.platform;
      notes = (await platform.deps.wikis.findBySlug('notes'))!;
      const other = await platform.deps.wikis.create({ slug: 'other', ownerDid: CAROL_DID, displayName: 'Other' }, platform.deps.now());
      const mcp = (wiki: string) => `${fixture.platform.config.publicUrl}/w/${wiki}/mcp`;
      carol = await connectMcp(platform.app, mcp('notes'), (await accessTokenFor(platform, notes, CAROL_DID)).token);
      reader = await connectMcp(platform.app, mcp('notes'), (await accessTokenFor(platform, notes, CAROL_DID, 'wiki:read')).token);
      elsewhere = await connectMcp(platform.app, mcp('other'), (await accessTokenFor(platform, other, CAROL_DID)).token);
    });
    after(async () => {
      for (const session of [carol, reader, elsewhere]) await session?.close();
      await fixture?.close();
      await database?.drop();
    });

    test('the tool is listed as read-only and describes its arguments', async () => {
      const tool = (await reader.client.listTools()).tools.find((t) => t.name === 'semantic_search')!;
      assert.equal(tool.annotations?.readOnlyHint, true);
      assert.deepEqual(tool.inputSchema.required, ['query']);
      assert.deepEqual(Object.keys(tool.inputSchema.properties!).sort(), ['limit', 'max_chunks_per_page', 'query']);
    });

    test('finds a passage by meaning, with its page, heading path, excerpt and score', async () => {
      await carol.json('write_note', { path: 'Kitchen/Bread', content: BREAD });
      await carol.json('write_note', { path: 'Network', content: ROUTER });
      await elsewhere.json('write_note', { path: 'Bakery', content: '# Bakery\nOven temperatures for loaves and cakes.' });
      const answer = await search(reader, { query: 'how long should the dough cook', limit: 1 });
      assert.equal(answer.results.length, 1);
      const [hit] = answer.results;
      assert.equal(hit!.path, 'Kitchen/Bread');
      assert.deepEqual(hit!.heading_path, ['Bread', 'Baking']);
      assert.equal(hit!.snippet, 'Put the loaf in a hot oven for forty minutes until the crust is brown.');
      assert.ok(hit!.score > 0);
      assert.deepEqual(answer.index, { pending: 0, lag_seconds: 0 });
    });

    test('a query of words neither ranking knows finds nothing, rather than every page', async () => {
      assert.deepEqual((await search(reader, { query: 'qwxzv jjkqz' })).results, []);
    });

    test('limit and max_chunks_per_page bound the passages', async () => {
      const three = await search(reader, { query: 'loaf of bread', limit: 10, max_chunks_per_page: 3 });
      assert.equal(three.results.filter((hit) => hit.path === 'Kitchen/Bread').length, 3);
      const one = await search(reader, { query: 'loaf of bread', limit: 10, max_chunks_per_page: 1 });
      assert.deepEqual(
        one.results.map((hit) => hit.path),
        ['Kitchen/Bread', 'Network'],
      );
      assert.equal((await search(reader, { query: 'loaf of bread', limit: 2, max_chunks_per_page: 3 })).results.length, 2);
    });

    test('another wiki’s pages are never in the answer', async () => {
      const paths = (await search(carol, { query: 'oven temperatures for loaves and cakes', limit: 50 })).results.map((hit) => hit.path);
      assert.ok(!paths.includes('Bakery'));
      assert.deepEqual(
        (await search(elsewhere, { query: 'oven temperatures', limit: 50 })).results.map((hit) => hit.path),
        ['Bakery'],
      );
    });

    test('a rename and a delete show in the next answer', async () => {
      await carol.json('rename_note', { path: 'Network', new_path: 'IT/Network' });
      const renamed = await search(reader, { query: 'blocking intruders on the internet', limit: 1 });
      assert.deepEqual(
        renamed.results.map((hit) => [hit.path, hit.heading_path]),
        [['IT/Network', ['Router', 'Firewall']]],
      );
      await carol.json('delete_note', { path: 'IT/Network' });
      const paths = (await search(reader, { query: 'blocking intruders on the internet', limit: 10 })).results.map((hit) => hit.path);
      assert.deepEqual([...new Set(paths)], ['Kitchen/Bread']);
    });

    // IN-06: NUL, other controls and unpaired surrogates in a text argument are a clear tool error.
    test('IN-06: bad arguments, a NUL in the query among them, are tool errors', async () => {
      for (const args of [{ query: '' }, { query: 'x', limit: 0 }, { query: 'x', limit: 51 }, { query: 'x', max_chunks_per_page: 0 }, { query: 'a\u0000b' }]) {
        const result = await reader.call('semantic_search', args);
        assert.equal(result.isError, true, `accepted ${JSON.stringify(args)}: ${toolText(result)}`);
      }
    });
  });
}

describe('semantic_search with EMBEDDINGS_URL', () => {
  let endpoint: FakeEmbeddings;
  let fixture: WikiFixture;
  let carol: McpSession;

  before(async () => {
    endpoint = await FakeEmbeddings.start();
    fixture = await startWikiFixture({ EMBEDDINGS_URL: endpoint.url, EMBEDDINGS_MODEL: 'fake-embed', EMBEDDINGS_API_KEY: 'sk-local-key' });
    const { platform } = fixture.platform;
    const notes = (await platform.deps.wikis.findBySlug('notes'))!;
    carol = await connectToWiki(fixture, notes, CAROL_DID);
  });
  after(async () => {
    await carol?.close();
    await fixture?.close();
    await endpoint?.close();
  });

  test('pages and queries are embedded by the configured endpoint, with its model and key', async () => {
    await carol.json('write_note', { path: 'Bread', content: BREAD });
    await carol.json('write_note', { path: 'Network', content: ROUTER });
    const answer = await carol.json('semantic_search', { query: 'linen cloth', limit: 1 });
    assert.deepEqual(
      answer.results.map((hit: Hit) => [hit.path, hit.heading_path]),
      [['Bread', ['Bread', 'Storing']]],
    );
    assert.ok(endpoint.requests.some((request) => request.body.input?.includes('linen cloth')));
    assert.ok(endpoint.requests.every((request) => request.body.model === 'fake-embed' && request.authorization === 'Bearer sk-local-key'));
  });

  // LG-01: no secret in any log line; here the embeddings API key, while the endpoint fails.
  test('LG-01: when the endpoint fails, the answer comes from full text with a warning, and the key stays out of logs', async () => {
    endpoint.answer = (_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'model crashed' } }));
    };
    const answer = await carol.json('semantic_search', { query: 'firewall', limit: 5 });
    assert.deepEqual(
      answer.results.map((hit: Hit) => hit.path),
      ['Network'],
    );
    assert.match(answer.warning, /^Searched by words only: the embeddings endpoint answered 500: model crashed$/);
    assert.match(fixture.platform.logs.text(), /semantic_search\.embedder_failed/);
    assert.doesNotMatch(fixture.platform.logs.text(), /sk-local-key/);
  });
});
