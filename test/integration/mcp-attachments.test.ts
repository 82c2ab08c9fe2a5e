// The four attachment tools through the official MCP SDK client, on SQLite and on PostgreSQL:
// round trips across several stored chunks, revisions, the per-file and per-wiki size limits, bad
// input, missing pages and files, a read collaborator, and a deletion recovered from history.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Wiki } from '../../src/store/wikis.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { CAROL_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { connectToWiki, toolText, type McpSession } from '../helpers/mcp.ts';
import { solidPng } from '../helpers/png.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const MiB = 1024 * 1024;

for (const kind of TEST_DATABASES) {
  describe(`attachment tools over MCP (${kind})`, () => {
    let database: TestDatabase;
    let fixture: WikiFixture;
    let wiki: Wiki;
    let carol: McpSession;

    before(async () => {
      database = await createTestDatabase(kind);
      fixture = await startWikiFixture({
        DATABASE_URL: database.url,
        ATTACHMENT_MAX_BYTES: String(MiB),
        WIKI_MAX_BYTES: String(2 * MiB),
        PAGE_MAX_BYTES: String(512 * 1024),
      });
      wiki = (await fixture.platform.platform.deps.wikis.findBySlug('notes'))!;
      carol = await connectToWiki(fixture, wiki, CAROL_DID);
      await carol.json('write_note', { path: 'Projects/Robot Arm', content: '# Robot arm\n\n![](diagram.png)' });
    });
    after(async () => {
      await carol?.close();
      await fixture?.close();
      await database?.drop();
    });

    const failure = async (name: string, args: Record<string, unknown>, session = carol) => {
      const result = await session.call(name, args);
      assert.equal(result.isError, true, `${name} should have failed: ${toolText(result)}`);
      return toolText(result);
    };
    const names = async (path: string) => (await carol.json('list_attachments', { path })).attachments.map((a: { name: string }) => a.name);

    test('upload, list and download: bytes and sniffed type survive a round trip over several chunks', async () => {
      const png = solidPng(40, 30, [200, 40, 40]);
      const uploaded = await carol.json('upload_attachment', { path: 'Projects/Robot Arm', filename: 'diagram.png', content: png.toString('base64') });
      assert.deepEqual(
        { name: uploaded.name, size: uploaded.size, type: uploaded.type, revision: uploaded.revision, by: uploaded.updated_by },
        { name: 'diagram.png', size: png.length, type: 'image/png', revision: 1, by: CAROL_DID },
      );
      // 700 KB of noise: three 256 KiB chunks, the last one short; not a known format.
      const noise = randomBytes(700_000);
      await carol.json('upload_attachment', { path: 'Projects/Robot Arm', filename: 'data.bin', content: noise.toString('base64'), message: 'raw log' });
      const listed = (await carol.json('list_attachments', { path: 'Projects/Robot Arm' })).attachments;
      assert.deepEqual(
        listed.map((a: { name: string; size: number; type: string; revision: number }) => [a.name, a.size, a.type, a.revision]),
        [
          ['data.bin', 700_000, 'application/octet-stream', 1],
          ['diagram.png', png.length, 'image/png', 1],
        ],
      );
      const down = await carol.json('download_attachment', { path: 'Projects/Robot Arm', filename: 'data.bin' });
      assert.equal(down.type, 'application/octet-stream');
      assert.ok(Buffer.from(down.content, 'base64').equals(noise));
      assert.ok(Buffer.from((await carol.json('download_attachment', { path: 'Projects/Robot Arm', filename: 'diagram.png' })).content, 'base64').equals(png));
    });

    test('a new upload of the same name is a new revision; the old one stays downloadable', async () => {
      const blue = solidPng(8, 8, [20, 20, 220]);
      assert.equal(
        (await carol.json('upload_attachment', { path: 'Projects/Robot Arm', filename: 'diagram.png', content: blue.toString('base64') })).revision,
        2,
      );
      assert.ok(Buffer.from((await carol.json('download_attachment', { path: 'Projects/Robot Arm', filename: 'diagram.png' })).content, 'base64').equals(blue));
      const first = await carol.json('download_attachment', { path: 'Projects/Robot Arm', filename: 'diagram.png', revision: 1 });
      assert.equal(first.revision, 1);
      assert.ok(Buffer.from(first.content, 'base64').equals(solidPng(40, 30, [200, 40, 40])));
    });

    test('AF-03: size limits: a file over ATTACHMENT_MAX_BYTES and a wiki over WIKI_MAX_BYTES are refused and save nothing', async () => {
      // Requirement: an attachment counts toward the wiki's size limit, and one file is at most ATTACHMENT_MAX_BYTES.
      const before = await names('Projects/Robot Arm');
      const big = randomBytes(MiB + 1).toString('base64');
      assert.match(
        await failure('upload_attachment', { path: 'Projects/Robot Arm', filename: 'big.bin', content: big }),
        /at most 1\.0 MiB\. Nothing was saved/,
      );
      await carol.json('upload_attachment', { path: 'Projects/Robot Arm', filename: 'fill-1.bin', content: randomBytes(MiB - 1024).toString('base64') });
      const full = await failure('upload_attachment', {
        path: 'Projects/Robot Arm',
        filename: 'fill-2.bin',
        content: randomBytes(MiB - 1024).toString('base64'),
      });
      assert.match(full, /of its 2\.0 MiB limit.*Nothing was saved/);
      assert.deepEqual(await names('Projects/Robot Arm'), [...before, 'fill-1.bin'].sort());
      const page = await failure('write_note', { path: 'Long notes', content: 'x'.repeat(400_000) });
      assert.match(page, /limit.*Nothing was saved/, 'a page write counts the attachments too');
      // Pages and attachments share the limit: deleting the filler makes room again.
      await carol.json('delete_attachment', { path: 'Projects/Robot Arm', filename: 'fill-1.bin' });
      assert.equal(
        (await carol.json('upload_attachment', { path: 'Projects/Robot Arm', filename: 'fill-2.bin', content: randomBytes(MiB - 1024).toString('base64') }))
          .revision,
        1,
      );
      await carol.json('delete_attachment', { path: 'Projects/Robot Arm', filename: 'fill-2.bin' });
    });

    test('bad base64, bad names, a missing page and a missing file are clear tool errors', async () => {
      assert.match(await failure('upload_attachment', { path: 'Projects/Robot Arm', filename: 'x.bin', content: 'not base64!' }), /not valid base64/);
      assert.match(await failure('upload_attachment', { path: 'Projects/Robot Arm', filename: 'x.bin', content: 'QUJD=' }), /not valid base64/);
      assert.match(await failure('upload_attachment', { path: 'Projects/Robot Arm', filename: '../x.bin', content: 'QUJD' }), /without "\/"/);
      assert.match(await failure('upload_attachment', { path: 'No such page', filename: 'x.bin', content: 'QUJD' }), /There is no page "No such page"/);
      assert.match(await failure('list_attachments', { path: 'No such page' }), /There is no page/);
      assert.match(
        await failure('download_attachment', { path: 'Projects/Robot Arm', filename: 'nope.png' }),
        /has no attachment "nope\.png".*list_attachments/,
      );
      assert.match(await failure('delete_attachment', { path: 'Projects/Robot Arm', filename: 'nope.png' }), /has no attachment/);
      // Line-wrapped base64 is base64.
      assert.equal((await carol.json('upload_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt', content: 'QUJD\nREVG' })).size, 6);
    });

    test('AF-04: a read collaborator lists and downloads but cannot upload or delete', async () => {
      // Requirement: attachments follow the pages' scopes: wiki:read reads, wiki:write changes.
      const { deps } = fixture.platform.platform;
      await deps.wikis.setMember({ wikiId: wiki.id, did: VICTIM_DID, handle: null, role: 'read' }, deps.now());
      const reader = await connectToWiki(fixture, wiki, VICTIM_DID, 'wiki:read');
      try {
        assert.ok((await reader.json('list_attachments', { path: 'Projects/Robot Arm' })).attachments.length > 0);
        assert.equal((await reader.json('download_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt' })).content, 'QUJDREVG');
        await assert.rejects(reader.call('upload_attachment', { path: 'Projects/Robot Arm', filename: 'r.txt', content: 'QUJD' }), /403|insufficient_scope/);
        await assert.rejects(reader.call('delete_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt' }), /403|insufficient_scope/);
      } finally {
        await reader.close();
      }
      assert.ok(!(await names('Projects/Robot Arm')).includes('r.txt'));
    });

    test('after a delete the file is gone, its history still has it, and a new upload continues the revisions', async () => {
      const deleted = await carol.json('delete_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt', message: 'obsolete' });
      assert.deepEqual(deleted, { path: 'Projects/Robot Arm', deleted: 'abc.txt', revision: 2 });
      assert.ok(!(await names('Projects/Robot Arm')).includes('abc.txt'));
      assert.match(await failure('download_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt' }), /was deleted \(revision 2\).*revision 1/);
      assert.match(await failure('download_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt', revision: 2 }), /is its deletion/);
      const old = await carol.json('download_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt', revision: 1 });
      assert.equal(old.content, 'QUJDREVG');
      assert.equal((await carol.json('upload_attachment', { path: 'Projects/Robot Arm', filename: 'abc.txt', content: old.content })).revision, 3);
    });
  });
}
