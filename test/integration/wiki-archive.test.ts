// Export → import of a wiki through the management API, on SQLite and PostgreSQL: the copy has the
// same current pages, the same text and the same links; a zip of plain Markdown files imports too;
// a bad archive is refused with a clear problem and leaves no wiki behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { apiCaller, cliCredential } from '../helpers/api-client.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const PAGES: Record<string, string> = {
  Home: '# Welcome\n\nSee [[Projects/Robot Arm]], [[Ideas|my ideas]] and [[Missing page]].\n',
  'Projects/Robot Arm': 'Back to [[Home]]. Parts: [[Projects/Robot Arm/Parts#Motors]].\n\n```\n[[not a link]]\n```\n',
  'Projects/Robot Arm/Parts': '## Motors\n\nNEMA 17 ×3 — 日本語 ✓\n',
  Ideas: 'Nothing links here but Home.\r\nWindows line ends stay.\n',
};

for (const kind of TEST_DATABASES) {
  describe(`wiki archive on ${kind}`, () => {
    let database: TestDatabase;
    let fixture: WikiFixture;
    let api: ReturnType<typeof apiCaller>;
    let cli: string;

    before(async () => {
      database = await createTestDatabase(kind);
      // A small wiki limit (1 MiB), so that an archive unpacking past it is cheap to make.
      fixture = await startWikiFixture({ DATABASE_URL: database.url, WIKI_MAX_BYTES: String(1024 * 1024), ATTACHMENT_MAX_BYTES: String(512 * 1024) });
      api = apiCaller(fixture.platform);
      cli = await cliCredential(fixture.platform, fixture.fake);
      for (const [path, content] of Object.entries(PAGES)) {
        const written = await api('PUT', `/wikis/notes/pages/${path}`, { token: cli, json: { content: `draft of ${path}` } });
        assert.equal(written.status, 200, JSON.stringify(written.json));
        await api('PUT', `/wikis/notes/pages/${path}`, { token: cli, json: { content, base_revision: 1, message: 'final text' } });
      }
    });
    after(async () => {
      await fixture?.close();
      await database?.drop();
    });

    const snapshot = async (slug: string) => {
      const { deps } = fixture.platform.platform;
      const wiki = (await deps.wikis.findBySlug(slug))!;
      const pages = (await deps.pages.list(wiki.id, { limit: 1000 })).items;
      return Promise.all(
        pages.map(async ({ path }) => ({ path, content: (await deps.pages.read(wiki.id, path)).content, links: await deps.pages.links(wiki.id, path) })),
      );
    };

    test('export → import round trip keeps every current page, its text, its links and its attachments', async () => {
      const { deps } = fixture.platform.platform;
      const notes = (await deps.wikis.findBySlug('notes'))!;
      const diagram = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300 * 1024, 7)]);
      await deps.attachments.upload(notes.id, notes.owner_did, { path: 'Projects/Robot Arm', filename: 'diagram.png', size: diagram.length, bytes: [diagram] });
      const exported = await api('GET', '/wikis/notes/archive', { token: cli });
      assert.equal(exported.status, 200);
      assert.equal(exported.headers.get('content-type'), 'application/zip');
      const files = unzipSync(exported.bytes);
      assert.deepEqual(
        Object.keys(files).sort(),
        ['manifest.json', 'attachments/Projects/Robot Arm/diagram.png', ...Object.keys(PAGES).map((path) => `pages/${path}.md`)].sort(),
      );
      const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
      assert.equal(manifest.format, 'robot.wtf/wiki-archive');
      assert.equal(manifest.wiki.slug, 'notes');
      assert.equal(manifest.revisions.length, Object.keys(PAGES).length * 2, 'every revision is in the manifest');
      assert.ok(manifest.revisions.some((r: { message: string | null }) => r.message === 'final text'));

      const imported = await api('POST', '/wikis/notes-copy/archive', { token: cli, zip: exported.bytes });
      assert.equal(imported.status, 201, JSON.stringify(imported.json));
      assert.equal(imported.json.pages, Object.keys(PAGES).length);
      assert.equal(imported.json.wiki.display_name, 'Carol’s notes');
      assert.deepEqual(await snapshot('notes-copy'), await snapshot('notes'));
      assert.equal(imported.json.attachments, 1);
      const copy = (await deps.wikis.findBySlug('notes-copy'))!;
      const copied: Buffer[] = [];
      for await (const chunk of (await deps.attachments.open(copy.id, 'Projects/Robot Arm', 'diagram.png')).chunks()) copied.push(chunk);
      assert.deepEqual(Buffer.concat(copied), diagram, 'the attachment came back byte for byte');
      assert.ok((await snapshot('notes')).length === Object.keys(PAGES).length);
      // And again: the copy exports to the same pages.
      const again = unzipSync((await api('GET', '/wikis/notes-copy/archive', { token: cli })).bytes);
      for (const path of Object.keys(PAGES)) assert.deepEqual(again[`pages/${path}.md`], files[`pages/${path}.md`]);
    });

    test('a zip of a folder of Markdown files imports each .md file as a page and names what it skipped', async () => {
      const zip = zipSync({
        'my-notes/Start.md': strToU8('Go to [[Sub/Deeper]].'),
        'my-notes/Sub/Deeper.md': strToU8('Back to [[Start]].'),
        'my-notes/diagram.png': new Uint8Array([137, 80, 78, 71]),
      });
      const imported = await api('POST', '/wikis/folder/archive', { token: cli, zip });
      assert.equal(imported.status, 201, JSON.stringify(imported.json));
      assert.deepEqual(imported.json.skipped, ['my-notes/diagram.png']);
      const pages = await snapshot('folder');
      assert.deepEqual(
        pages.map((page) => [page.path, page.links.outgoing]),
        [
          ['Start', [{ path: 'Sub/Deeper', exists: true }]],
          ['Sub/Deeper', [{ path: 'Start', exists: true }]],
        ],
      );
    });

    test('a bad archive is refused with a clear problem and leaves no wiki behind', async () => {
      const cases: [string, Uint8Array, number, RegExp][] = [
        ['not a zip', strToU8('hello'), 422, /not a zip/],
        ['a bad page path', zipSync({ 'a/../b.md': strToU8('x') }), 422, /cannot be a page/],
        ['a page too large', zipSync({ 'Big.md': strToU8('x'.repeat(300 * 1024)) }), 413, /larger than a page/],
        ['not UTF-8', zipSync({ 'Bytes.md': new Uint8Array([0xff, 0xfe, 0x00]) }), 422, /not UTF-8/],
        [
          'a zip bomb (3 MiB of zeros, a few KiB packed)',
          zipSync({ 'Bomb.md': new Uint8Array(3 * 1024 * 1024) }),
          422,
          /unpacks to more than this wiki may hold/,
        ],
        ['IN-06: a NUL in a page', zipSync({ 'Nul.md': strToU8('a\u0000b') }), 422, /"Nul\.md" must not contain NUL/],
        ['no pages', zipSync({ 'readme.txt': strToU8('x') }), 422, /no Markdown pages/],
        [
          'a manifest of another shape',
          zipSync({ 'manifest.json': strToU8('{"format":"robot.wtf/wiki-archive","version":1,"pages":[null]}') }),
          422,
          /not a robot\.wtf\/wiki-archive version 1 manifest/,
        ],
        [
          'a manifest naming a missing file',
          zipSync({ 'manifest.json': strToU8('{"format":"robot.wtf/wiki-archive","version":1,"pages":[{"path":"A","file":"pages/A.md"}]}') }),
          422,
          /names "pages\/A\.md", which is not in the archive/,
        ],
        ['an attachment larger than a file may be', manifestZip(new Uint8Array(600 * 1024)), 413, /an attachment is at most 512 KiB/],
      ];
      for (const [name, zip, status, detail] of cases) {
        const answer = await api('POST', '/wikis/refused/archive', { token: cli, zip });
        assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.json)}`);
        assert.equal(answer.headers.get('content-type'), 'application/problem+json');
        assert.match(answer.json.detail, detail, name);
        assert.equal(await fixture.platform.platform.deps.wikis.findBySlug('refused'), undefined, `${name}: no wiki was made`);
      }
      const taken = await api('POST', '/wikis/notes/archive', { token: cli, zip: zipSync({ 'A.md': strToU8('a') }) });
      assert.equal(taken.status, 409);
    });
  });
}

/** An export whose manifest lists an attachment. */
function manifestZip(photo: Uint8Array): Uint8Array {
  const manifest = {
    format: 'robot.wtf/wiki-archive',
    version: 1,
    wiki: { slug: 'x', displayName: 'X' },
    exportedAt: 0,
    pages: [{ path: 'A', file: 'pages/A.md', revision: 1, updatedAt: 0, updatedBy: 'did:plc:x' }],
    revisions: [],
    attachments: [{ page: 'A', filename: 'photo.jpg', file: 'attachments/A/photo.jpg' }],
  };
  return zipSync({ 'manifest.json': strToU8(JSON.stringify(manifest)), 'pages/A.md': strToU8('a'), 'attachments/A/photo.jpg': photo });
}
