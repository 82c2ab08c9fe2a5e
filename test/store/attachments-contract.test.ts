// The attachment stores behave the same on SQLite and PostgreSQL: bytes in fixed-size chunks read
// back in order, concurrent uploads of one name never sharing a revision, and a wiki's
// deletion taking its attachments and their bytes with it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { BLOB_CHUNK_BYTES, databaseBlobStore } from '../../src/store/attachment-blobs.ts';
import { attachmentStore } from '../../src/store/attachments.ts';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { pageStore } from '../../src/store/pages.ts';
import { wikiStore } from '../../src/store/wikis.ts';
import { wikiAttachments, type WikiAttachments } from '../../src/wiki/attachments.ts';
import { wikiPages } from '../../src/wiki/pages.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';

const ALICE = 'did:plc:aliceaaaaaaaaaaaaaaaaaaa';
const now = () => 1_800_000_000;

for (const kind of TEST_DATABASES) {
  describe(`attachment stores on ${kind}`, () => {
    let testDb: TestDatabase;
    let handle: DatabaseHandle;
    let attachments: WikiAttachments;

    before(async () => {
      testDb = await createTestDatabase(kind);
      handle = await openDatabase(testDb.url);
      await migrateToLatest(handle.db);
      const rows = pageStore(handle.db);
      attachments = wikiAttachments(
        rows,
        attachmentStore(handle.db, handle.dialect),
        databaseBlobStore(handle.sql),
        { attachmentBytes: 4 * 1024 * 1024, wikiBytes: 16 * 1024 * 1024 },
        now,
      );
    });
    after(async () => {
      await handle?.close();
      await testDb?.drop();
    });

    const chunkCount = async () => Number((await sql<{ n: number | string }>`select count(*) as n from attachment_chunks`.execute(handle.db)).rows[0]!.n);
    const bytesOf = async (chunks: AsyncIterable<Buffer>) => {
      const parts: Buffer[] = [];
      for await (const chunk of chunks) parts.push(chunk);
      return { whole: Buffer.concat(parts), sizes: parts.map((part) => part.length) };
    };

    test('bytes arriving in uneven pieces are stored in fixed chunks and read back in order', async () => {
      const wiki = await wikiStore(handle.db, handle.dialect).create({ slug: 'chunks', ownerDid: ALICE, displayName: 'Chunks' }, now());
      await wikiPages(pageStore(handle.db), { pageBytes: 1024, wikiBytes: 1 << 30 }, now).write(wiki.id, ALICE, {
        path: 'Home',
        content: 'hi',
      });
      const data = randomBytes(2 * BLOB_CHUNK_BYTES + 12345);
      const pieces = [data.subarray(0, 1000), data.subarray(1000, 400_000), data.subarray(400_000)];
      await attachments.upload(wiki.id, ALICE, { path: 'Home', filename: 'data.bin', size: data.length, bytes: pieces });
      const { whole, sizes } = await bytesOf((await attachments.open(wiki.id, 'Home', 'data.bin')).chunks());
      assert.deepEqual(sizes, [BLOB_CHUNK_BYTES, BLOB_CHUNK_BYTES, 12345]);
      assert.ok(whole.equals(data));
    });

    test('concurrent uploads of one name become distinct successive revisions, or are refused as a conflict leaving no bytes', async () => {
      const wiki = await wikiStore(handle.db, handle.dialect).create({ slug: 'race', ownerDid: ALICE, displayName: 'Race' }, now());
      await wikiPages(pageStore(handle.db), { pageBytes: 1024, wikiBytes: 1 << 30 }, now).write(wiki.id, ALICE, {
        path: 'Home',
        content: 'hi',
      });
      const before = await chunkCount();
      const results = await Promise.allSettled(
        ['a', 'b', 'c'].map((letter) =>
          attachments.upload(wiki.id, ALICE, { path: 'Home', filename: 'same.txt', size: 3, bytes: [Buffer.from(letter.repeat(3))] }),
        ),
      );
      const revisions = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ revision: number }>).value.revision);
      const refused = results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as { code: string }).code);
      // Uploads that ran one after another become revisions 1, 2, 3; any that raced were refused.
      assert.deepEqual(
        [...revisions].sort(),
        revisions.map((_, i) => i + 1),
      );
      assert.ok(refused.every((code) => code === 'conflict'));
      assert.equal(await chunkCount(), before + revisions.length, 'a refused upload leaves no chunk behind');
    });

    test('deleting a wiki removes its attachments, their history and their bytes', async () => {
      const wikis = wikiStore(handle.db, handle.dialect);
      const doomed = await wikis.create({ slug: 'doomed', ownerDid: ALICE, displayName: 'Doomed' }, now());
      await wikiPages(pageStore(handle.db), { pageBytes: 1024, wikiBytes: 1 << 30 }, now).write(doomed.id, ALICE, {
        path: 'Home',
        content: 'hi',
      });
      const before = await chunkCount();
      await attachments.upload(doomed.id, ALICE, { path: 'Home', filename: 'x.bin', size: 300_000, bytes: [randomBytes(300_000)] });
      await attachments.remove(doomed.id, ALICE, { path: 'Home', filename: 'x.bin' });
      assert.equal(await chunkCount(), before + 2, 'a deleted file keeps its bytes for its history');
      await wikis.delete(doomed.id);
      assert.equal(await chunkCount(), before);
      const left = await sql<{
        n: number | string;
      }>`select (select count(*) from attachments where wiki_id = ${doomed.id}) + (select count(*) from attachment_revisions where wiki_id = ${doomed.id}) as n`.execute(
        handle.db,
      );
      assert.equal(Number(left.rows[0]!.n), 0);
    });
  });
}
