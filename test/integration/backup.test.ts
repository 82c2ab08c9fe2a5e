// Backups as an operator takes them: `robot backup` of SQLite while the server writes, `robot
// restore` of it; and pg_dump / psql for PostgreSQL as docs/deployment.md describes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { apiCaller, cliCredential } from '../helpers/api-client.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const ROBOT = path.resolve('bin/robot.mjs');
const run = promisify(execFile);

async function robot(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [ROBOT, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/** Every current page of the wiki `notes`: path, revision and text, read through the page service. */
async function pageSet(platform: TestPlatform, slug = 'notes') {
  const { deps } = platform.platform;
  const wiki = (await deps.wikis.findBySlug(slug))!;
  const pages = (await deps.pages.list(wiki.id, { limit: 10_000 })).items;
  return Promise.all(pages.map(async ({ path }) => ({ ...(await deps.pages.read(wiki.id, path)), links: await deps.pages.links(wiki.id, path) })));
}

const pageName = (i: number) => `log/${String(i).padStart(5, '0')}`;

describe('backup and restore', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('robot backup taken while writes run is a consistent snapshot, and robot restore brings back exactly that page set', async () => {
    const keep = mkdtempSync(path.join(os.tmpdir(), 'robot-backup-'));
    cleanup.push(() => rmSync(keep, { recursive: true, force: true }));
    // Outside the platform's data directory, which closing it removes.
    const databaseUrl = `sqlite:${path.join(keep, 'robot.sqlite')}`;
    const fixture: WikiFixture = await startWikiFixture({ DATABASE_URL: databaseUrl });
    const api = apiCaller(fixture.platform);
    const cli = await cliCredential(fixture.platform, fixture.fake);

    // One writer, in order: page i is created only after page i-1 was committed, and Home counts them.
    let written = 0;
    let stop = false;
    const writer = (async () => {
      await api('PUT', '/wikis/notes/pages/Home', { token: cli, json: { content: 'count 0' } });
      while (!stop) {
        const created = await api('PUT', `/wikis/notes/pages/${pageName(written)}`, { token: cli, json: { content: `entry ${written} links [[Home]]` } });
        assert.equal(created.status, 200);
        written += 1;
        const home = await api('PUT', '/wikis/notes/pages/Home', { token: cli, json: { content: `count ${written}`, base_revision: written } });
        assert.equal(home.status, 200);
      }
    })();
    while (written < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    const file = path.join(keep, 'robot.backup.sqlite');
    const before = written;
    const backup = await robot(['backup', file], { DATABASE_URL: databaseUrl });
    const during = written - before;
    while (written < before + during + 5) await new Promise((resolve) => setTimeout(resolve, 20));
    stop = true;
    await writer;
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /backed up \d+ database pages/);
    assert.ok(during > 0, 'writes ran while the backup was taken');
    const atEnd = await pageSet(fixture.platform);
    assert.equal(atEnd.length, written + 1);
    await fixture.close();

    // The backup over the (stopped) server's database, which has moved on since.
    const restore = await robot(['restore', file], { DATABASE_URL: databaseUrl });
    assert.equal(restore.code, 0, restore.stderr);
    const restored = await startTestPlatform({ DATABASE_URL: databaseUrl });
    cleanup.push(() => restored.close());
    const pages = await pageSet(restored);
    // A snapshot: a prefix of the log with no gap, Home's count equal to it, every text as written.
    const entries = pages.filter((page) => page.path.startsWith('log/'));
    assert.ok(entries.length >= before && entries.length <= written, `${entries.length} entries, ${before}..${written} expected`);
    assert.deepEqual(
      entries.map((page) => page.path),
      entries.map((_, i) => pageName(i)),
    );
    for (const [i, page] of entries.entries()) assert.equal(page.content, `entry ${i} links [[Home]]`);
    const home = pages.find((page) => page.path === 'Home')!;
    assert.ok(home.content === `count ${entries.length}` || home.content === `count ${entries.length - 1}`, home.content);
    assert.equal(home.links.backlinks.length, entries.length);
    // Identical to what the restored server had at that moment: the end state cut at the snapshot.
    assert.deepEqual(
      entries.map(({ path, content, revision }) => ({ path, content, revision })),
      atEnd
        .filter((page) => page.path.startsWith('log/'))
        .slice(0, entries.length)
        .map(({ path, content, revision }) => ({ path, content, revision })),
    );

    const notABackup = await robot(['restore', path.join(keep, 'missing.sqlite')], { DATABASE_URL: databaseUrl });
    assert.equal(notABackup.code, 1);
    assert.match(notABackup.stderr, /^robot: .*missing\.sqlite is not a robot\.wtf SQLite backup/);
    const overwrite = await robot(['backup', file], { DATABASE_URL: databaseUrl });
    assert.equal(overwrite.code, 1);
    assert.match(overwrite.stderr, /exists; name a new file/);
  });

  test('robot backup on PostgreSQL points to pg_dump', async () => {
    const { code, stderr } = await robot(['backup', '/tmp/x'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    assert.equal(code, 1);
    assert.equal(stderr.trim(), 'robot: backup and restore are for SQLite; back PostgreSQL up with pg_dump (docs/deployment.md)');
  });

  if (TEST_DATABASES.includes('postgres'))
    test('PostgreSQL: pg_dump of a serving database restored with psql into a new one has the same pages and links', async () => {
      const source: TestDatabase = await createTestDatabase('postgres');
      const target: TestDatabase = await createTestDatabase('postgres');
      cleanup.push(
        () => source.drop(),
        () => target.drop(),
      );
      const fixture = await startWikiFixture({ DATABASE_URL: source.url });
      cleanup.push(() => fixture.close());
      const api = apiCaller(fixture.platform);
      const cli = await cliCredential(fixture.platform, fixture.fake);
      for (const [page, content] of [
        ['Home', 'See [[Guides/Start]] and [[Nowhere]].'],
        ['Guides/Start', 'Back to [[Home]]. 日本語'],
      ])
        assert.equal((await api('PUT', `/wikis/notes/pages/${page}`, { token: cli, json: { content } })).status, 200);
      const dumpDir = mkdtempSync(path.join(os.tmpdir(), 'robot-pgdump-'));
      cleanup.push(() => rmSync(dumpDir, { recursive: true, force: true }));
      const dump = path.join(dumpDir, 'robot.sql');
      // As docs/deployment.md says: a plain dump without owners, restored with psql stopping at the first error.
      await run('pg_dump', ['--no-owner', '--file', dump, source.url]);
      await run('psql', ['--quiet', '--set', 'ON_ERROR_STOP=1', '--file', dump, target.url]);
      const copy = await startTestPlatform({ DATABASE_URL: target.url });
      cleanup.push(() => copy.close());
      const original = await pageSet(fixture.platform);
      assert.equal(original.length, 2);
      assert.deepEqual(await pageSet(copy), original);
      const search = await copy.platform.deps.pages.search((await copy.platform.deps.wikis.findBySlug('notes'))!.id, 'guides', 5);
      assert.deepEqual(
        search.items.map((hit) => hit.path),
        ['Guides/Start'],
        'the search index came along',
      );
    });
});
