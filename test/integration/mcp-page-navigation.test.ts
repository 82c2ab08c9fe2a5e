// The wiki tools of issues 11 and 12 through the official MCP SDK client, on SQLite and PostgreSQL:
// read_note by section, list_notes by front-matter tag and category, cursor paging of list, search,
// history and recent changes, and rename_note rewriting the [[links]] to the page it moves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Wiki } from '../../src/store/wikis.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { connectToWiki, toolText, type McpSession } from '../helpers/mcp.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

for (const kind of TEST_DATABASES) {
  describe(`page navigation tools over MCP on ${kind}`, () => {
    let database: TestDatabase;
    let fixture: WikiFixture;
    let wiki: Wiki;
    let carol: McpSession;

    before(async () => {
      database = await createTestDatabase(kind);
      fixture = await startWikiFixture({ DATABASE_URL: database.url });
      wiki = (await fixture.platform.platform.deps.wikis.findBySlug('notes'))!;
      carol = await connectToWiki(fixture, wiki, CAROL_DID);
    });
    after(async () => {
      await carol?.close();
      await fixture?.close();
      await database?.drop();
    });

    const failure = async (name: string, args: Record<string, unknown>) => {
      const result = await carol.call(name, args);
      assert.equal(result.isError, true, `${name} should have failed: ${toolText(result)}`);
      return toolText(result);
    };

    test('read_note returns one section by its heading path, and lists the sections when it is not there', async () => {
      const content = '# Robot arm\nOverview.\n\n## Wiring\nRed to 5V.\n\n### Servos\nThree SG90.\n\n## Software\nFirmware notes.\n';
      await carol.json('write_note', { path: 'Arm', content });
      const servos = await carol.json('read_note', { path: 'Arm', section: 'Robot arm > Wiring > Servos' });
      assert.deepEqual([servos.section, servos.content, servos.revision], ['Robot arm > Wiring > Servos', '### Servos\nThree SG90.', 1]);
      assert.equal((await carol.json('read_note', { path: 'Arm', section: 'wiring' })).content, '## Wiring\nRed to 5V.\n\n### Servos\nThree SG90.');
      assert.equal((await carol.json('read_note', { path: 'Arm' })).content, content);
      assert.match(
        await failure('read_note', { path: 'Arm', section: 'Hardware' }),
        /no section "Hardware".*"Robot arm", "Robot arm > Wiring", "Robot arm > Wiring > Servos", "Robot arm > Software"/,
      );
      const { tools } = await carol.client.listTools();
      assert.ok((tools.find((t) => t.name === 'read_note')!.inputSchema.properties as Record<string, unknown>).section);
    });

    test('list_notes filters by the tag and category of YAML front matter', async () => {
      await carol.json('write_note', { path: 'Garden/Roses', content: '---\ntags: [garden, flowers]\ncategory: Plants\n---\nRoses.' });
      await carol.json('write_note', { path: 'Garden/Basil', content: '---\ntags: [garden, herbs]\ncategories: [plants, kitchen]\n---\nBasil.' });
      await carol.json('write_note', { path: 'Kitchen/Pesto', content: '---\ncategory: kitchen\n---\nNeeds [[Garden/Basil]].' });
      const paths = async (args: Record<string, unknown>) => (await carol.json('list_notes', args)).pages.map((p: { path: string }) => p.path);
      assert.deepEqual(await paths({ tag: 'garden' }), ['Garden/Basil', 'Garden/Roses']);
      assert.deepEqual(await paths({ tag: 'Herbs' }), ['Garden/Basil']);
      assert.deepEqual(await paths({ category: 'kitchen' }), ['Garden/Basil', 'Kitchen/Pesto']);
      assert.deepEqual(await paths({ category: 'kitchen', prefix: 'Kitchen/' }), ['Kitchen/Pesto']);
      assert.deepEqual(await paths({ tag: 'cactus' }), []);
    });

    test('list_notes, search_notes, get_history and get_recent_changes page with next_cursor', async () => {
      const { deps } = fixture.platform.platform;
      for (let i = 0; i < 205; i++)
        await deps.pages.write(wiki.id, CAROL_DID, { path: `Bulk/${String(i).padStart(3, '0')}`, content: `A lighthouse log, entry ${i}.` });
      const first = await carol.json('list_notes', { prefix: 'Bulk/' });
      assert.equal(first.pages.length, 200);
      assert.ok(first.next_cursor);
      const rest = await carol.json('list_notes', { prefix: 'Bulk/', cursor: first.next_cursor });
      assert.deepEqual(
        rest.pages.map((p: { path: string }) => p.path),
        ['Bulk/200', 'Bulk/201', 'Bulk/202', 'Bulk/203', 'Bulk/204'],
      );
      assert.equal(rest.next_cursor, undefined);

      const found: string[] = [];
      let cursor: string | undefined;
      do {
        const answer = await carol.json('search_notes', { query: 'lighthouse', limit: 50, ...(cursor ? { cursor } : {}) });
        found.push(...answer.results.map((r: { path: string }) => r.path));
        cursor = answer.next_cursor;
      } while (cursor);
      assert.equal(new Set(found).size, 205);
      assert.equal(found.length, 205);

      for (let revision = 1; revision <= 4; revision++)
        await carol.json('edit_note', { path: 'Bulk/000', old_string: `entry 0${'!'.repeat(revision - 1)}.`, new_string: `entry 0${'!'.repeat(revision)}.` });
      const newest = await carol.json('get_history', { path: 'Bulk/000', limit: 3 });
      assert.deepEqual(
        newest.revisions.map((r: { revision: number }) => r.revision),
        [5, 4, 3],
      );
      const oldest = await carol.json('get_history', { path: 'Bulk/000', limit: 3, cursor: newest.next_cursor });
      assert.deepEqual(
        oldest.revisions.map((r: { revision: number }) => r.revision),
        [2, 1],
      );
      assert.equal(oldest.next_cursor, undefined);

      const recent = await carol.json('get_recent_changes', { limit: 2 });
      const older = await carol.json('get_recent_changes', { limit: 2, cursor: recent.next_cursor });
      const both = [...recent.changes, ...older.changes].map((c: { path: string; action: string }) => `${c.path} ${c.action}`);
      assert.deepEqual(
        both,
        (await carol.json('get_recent_changes', { limit: 4 })).changes.map((c: { path: string; action: string }) => `${c.path} ${c.action}`),
      );

      assert.match(await failure('get_history', { path: 'Bulk/000', cursor: first.next_cursor }), /cursor was not given out by this listing/);
      assert.match(await failure('list_notes', { cursor: 'not-a-cursor' }), /cursor/);
    });

    test('WK-01: rename_note rewrites [[links]] to the old path in every linking page, not in code, and says how many', async () => {
      // WK-01: a [[link]] inside code is text; a rename must not rewrite it.
      await carol.json('write_note', { path: 'Parts/Old', content: 'Parts list.' });
      await carol.json('write_note', {
        path: 'Build',
        content: 'Use [[Parts/Old]] and [[Parts/Old|the parts]]; see [[Parts/Old#Screws]].\n\n`[[Parts/Old]]` is syntax.',
      });
      await carol.json('write_note', { path: 'Shopping', content: '- [[Parts/Old]]' });
      const renamed = await carol.json('rename_note', { path: 'Parts/Old', new_path: 'Parts/Current', message: 'new name' });
      assert.deepEqual(renamed, { path: 'Parts/Current', revision: 2, links_rewritten: 2, rewritten_pages: ['Build', 'Shopping'] });
      assert.equal(
        (await carol.json('read_note', { path: 'Build' })).content,
        'Use [[Parts/Current]] and [[Parts/Current|the parts]]; see [[Parts/Current#Screws]].\n\n`[[Parts/Old]]` is syntax.',
      );
      assert.equal((await carol.json('read_note', { path: 'Shopping' })).content, '- [[Parts/Current]]');
      const history = await carol.json('get_history', { path: 'Shopping' });
      assert.deepEqual(
        history.revisions.map((r: { action: string; author: string; message: string | null }) => [r.action, r.author, r.message]),
        [
          ['edit', CAROL_DID, 'Links to "Parts/Old" now point to "Parts/Current" (renamed).'],
          ['create', CAROL_DID, null],
        ],
      );
      assert.deepEqual((await carol.json('get_links', { path: 'Parts/Current' })).backlinks, ['Build', 'Shopping']);
      const alone = await carol.json('rename_note', { path: 'Shopping', new_path: 'Errands' });
      assert.equal(alone.links_rewritten, 0);
    });
  });
}
