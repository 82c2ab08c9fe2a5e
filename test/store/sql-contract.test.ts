// The plain-SQL seam (src/store/sql.ts) behaves the same on SQLite and PostgreSQL, and never mixes its
// statements into a Kysely transaction (or Kysely's into its own) on SQLite's single connection.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql as kysely } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';

type Probe = { id: string; n: number };

/** A promise and the function that settles it, to hold a transaction open at a chosen point. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Long enough for a statement that is not held back to have run: several event-loop turns. */
const SETTLE_MS = 30;

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`plain SQL on ${kind}`, () => {
    let testDb: TestDatabase;
    let handle: DatabaseHandle;
    const failOn = { text: undefined as string | undefined };

    before(async () => {
      testDb = await createTestDatabase(kind);
      handle = await openDatabase(testDb.url, {
        beforeStatement: (text) => {
          if (text === failOn.text) throw new Error('injected fault');
        },
      });
      await handle.db.schema
        .createTable('sql_probe')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('n', 'integer', (c) => c.notNull())
        .execute();
    });
    after(async () => {
      await handle?.close();
      await testDb?.drop();
    });
    beforeEach(async () => {
      failOn.text = undefined;
      await handle.sql.run('delete from sql_probe');
    });

    const ids = async () => (await handle.sql.all<{ id: string }>('select id from sql_probe order by id')).map((row) => row.id);

    test('run counts the rows it changed; one and all read them back', async () => {
      assert.equal(handle.sql.dialect, kind);
      for (const [id, n] of [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ] as const)
        assert.equal(await handle.sql.run('insert into sql_probe (id, n) values (?, ?)', [id, n]), 1);
      assert.deepEqual(await handle.sql.all<Probe>('select id, n from sql_probe where n >= ? order by n', [2]), [
        { id: 'b', n: 2 },
        { id: 'c', n: 3 },
      ]);
      assert.deepEqual(await handle.sql.one<Probe>('select id, n from sql_probe where id = ?', ['a']), { id: 'a', n: 1 });
      assert.equal(await handle.sql.one('select id from sql_probe where id = ?', ['nobody']), undefined);
      assert.deepEqual(await handle.sql.all('select id from sql_probe where id = ?', ['nobody']), []);
      assert.equal(await handle.sql.run('update sql_probe set n = n + 10 where n > ?', [1]), 2);
      assert.equal(await handle.sql.run('delete from sql_probe where id = ?', ['nobody']), 0);
      assert.equal(await handle.sql.run('delete from sql_probe'), 3);
    });

    test('one and all run a statement that returns no rows, and yield none', async () => {
      assert.equal(await handle.sql.one('insert into sql_probe (id, n) values (?, ?)', ['a', 1]), undefined);
      assert.deepEqual(await handle.sql.all('insert into sql_probe (id, n) values (?, ?)', ['b', 2]), []);
      assert.deepEqual(await handle.sql.one('delete from sql_probe where id = ? returning id', ['a']), { id: 'a' });
      assert.equal(await handle.sql.run('delete from sql_probe where id = ? returning id', ['b']), 1);
      assert.deepEqual(await ids(), []);
    });

    test('placeholders bind in order, the same text with different values each time', async () => {
      await handle.sql.run('insert into sql_probe (id, n) values (?, ?)', ['x', 7]);
      await handle.sql.run('insert into sql_probe (id, n) values (?, ?)', ['y', 8]);
      const query = 'select id from sql_probe where id = ? and n = ?';
      assert.deepEqual(await handle.sql.one(query, ['x', 7]), { id: 'x' });
      assert.deepEqual(await handle.sql.one(query, ['y', 8]), { id: 'y' });
      assert.equal(await handle.sql.one(query, ['x', 8]), undefined);
    });

    test('a transaction commits all its statements when its work resolves', async () => {
      const result = await handle.sql.transaction(async (tx) => {
        await tx.run('insert into sql_probe (id, n) values (?, ?)', ['a', 1]);
        await tx.run('insert into sql_probe (id, n) values (?, ?)', ['b', 2]);
        return tx.one<{ total: number }>('select count(*) as total from sql_probe');
      });
      assert.equal(Number(result?.total), 2);
      assert.deepEqual(await ids(), ['a', 'b']);
    });

    test('a transaction rolls back everything when its work throws, and rethrows', async () => {
      const boom = new Error('changed my mind');
      await assert.rejects(
        handle.sql.transaction(async (tx) => {
          await tx.run('insert into sql_probe (id, n) values (?, ?)', ['a', 1]);
          throw boom;
        }),
        (error) => error === boom,
      );
      assert.deepEqual(await ids(), []);
    });

    test('a failing statement inside a transaction rolls back the whole transaction', async () => {
      await assert.rejects(
        handle.sql.transaction(async (tx) => {
          await tx.run('insert into sql_probe (id, n) values (?, ?)', ['a', 1]);
          await tx.run('insert into sql_probe (id, n) values (?, ?)', ['a', 2]);
        }),
        (error: Error & { code?: string }) => (kind === 'sqlite' ? error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' : error.code === '23505'),
      );
      assert.deepEqual(await ids(), []);
      // The connection is usable afterwards, outside any transaction.
      assert.equal(await handle.sql.run('insert into sql_probe (id, n) values (?, ?)', ['b', 1]), 1);
      assert.deepEqual(await ids(), ['b']);
    });

    test('the statement seam sees each text and can fail it, alone or inside a transaction', async () => {
      const insert = 'insert into sql_probe (id, n) values (?, ?)';
      failOn.text = insert;
      await assert.rejects(handle.sql.run(insert, ['a', 1]), /injected fault/);
      await assert.rejects(
        handle.sql.transaction(async (tx) => {
          await tx.run('update sql_probe set n = 0');
          await tx.run(insert, ['a', 1]);
        }),
        /injected fault/,
      );
      failOn.text = undefined;
      assert.deepEqual(await ids(), []);
    });

    test('a plain statement issued during a Kysely transaction is not part of it', async () => {
      const hold = gate();
      const inserted = gate();
      const kyselyTx = handle.db
        .transaction()
        .execute(async (tx) => {
          await kysely`insert into sql_probe (id, n) values (${'in-kysely-tx'}, ${1})`.execute(tx);
          inserted.open();
          await hold.opened;
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message);
      await inserted.opened;
      let plainDone = false;
      const plain = handle.sql.run('insert into sql_probe (id, n) values (?, ?)', ['plain', 2]).then(() => (plainDone = true));
      await sleep(SETTLE_MS);
      // SQLite has one connection: the statement must wait for the transaction rather than join it.
      if (kind === 'sqlite') assert.equal(plainDone, false);
      hold.open();
      assert.equal(await kyselyTx, 'roll back');
      await plain;
      assert.deepEqual(await ids(), ['plain']);
    });

    test('a Kysely statement issued during a plain transaction is not part of it', async () => {
      const hold = gate();
      const inserted = gate();
      const plainTx = handle.sql
        .transaction(async (tx) => {
          await tx.run('insert into sql_probe (id, n) values (?, ?)', ['in-plain-tx', 1]);
          inserted.open();
          await hold.opened;
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message);
      await inserted.opened;
      let kyselyDone = false;
      const viaKysely = kysely`insert into sql_probe (id, n) values (${'kysely'}, ${2})`.execute(handle.db).then(() => (kyselyDone = true));
      await sleep(SETTLE_MS);
      if (kind === 'sqlite') assert.equal(kyselyDone, false);
      hold.open();
      assert.equal(await plainTx, 'roll back');
      await viaKysely;
      assert.deepEqual(await ids(), ['kysely']);
    });

    // SQLite only: PostgreSQL runs two transactions on two connections, side by side.
    if (kind === 'sqlite') {
      test("plain transactions wait for each other on SQLite's one connection", async () => {
        const hold = gate();
        const first = handle.sql.transaction(async (tx) => {
          await tx.run('insert into sql_probe (id, n) values (?, ?)', ['first', 1]);
          await hold.opened;
          return tx.all<{ id: string }>('select id from sql_probe order by id');
        });
        const second = handle.sql.transaction((tx) => tx.all<{ id: string }>('select id from sql_probe order by id'));
        await sleep(SETTLE_MS);
        hold.open();
        // The first saw only its own row; the second, started after the first committed, sees it.
        assert.deepEqual(await first, [{ id: 'first' }]);
        assert.deepEqual(await second, [{ id: 'first' }]);
      });
    }

    if (kind === 'postgres') {
      test('statements are prepared on the server once per connection, by name', async () => {
        const names = await handle.sql.transaction(async (tx) => {
          await tx.one('select id from sql_probe where n = ?', [1]);
          return tx.all<{ statement: string }>('select statement from pg_prepared_statements where name like ?', ['robot_%']);
        });
        assert.ok(
          names.some((row) => row.statement === 'select id from sql_probe where n = $1'),
          JSON.stringify(names),
        );
      });
    }
  });
}
