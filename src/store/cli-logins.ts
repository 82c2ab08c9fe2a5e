// Pending CLI logins: durable rows, so a restart loses no completed login and any instance can
// finish a login another began. Every status change is a compare-and-set (catalogue CL-05, CL-06).
import { sql } from 'kysely';
import type { DatabaseHandle } from './database.ts';
import { recordSession, type PlatformSession } from './platform-sessions.ts';
import type { CliLoginStatus, CliLoginsTable } from './schema.ts';

export type CliLogin = CliLoginsTable;

/** Catalogue policy: a pending CLI login lives 10 minutes (its row, and the browser's confirm cookie). */
export const CLI_LOGIN_TTL_SECONDS = 10 * 60;

export type WrongCodeCount = Pick<CliLogin, 'failed_attempts' | 'status'>;

export interface CliLoginStore {
  create(login: CliLogin): Promise<void>;
  /** The live row (not past `expires_at`), whatever its status. */
  find(id: string, now: number): Promise<CliLogin | undefined>;
  findByBrowser(browserHash: string, now: number): Promise<CliLogin | undefined>;
  /** Moves a live row from one of `from` to `to`; false when another writer, or the sweeper, got there first. */
  transition(id: string, from: CliLoginStatus[], to: CliLoginStatus, patch: Partial<CliLogin>, now: number): Promise<boolean>;
  /**
   * Hands a confirmed login over exactly once (catalogue CL-05): moves it to `delivered` and records
   * `session`, the credential's session row, in one transaction, so a failure leaves it confirmed for
   * the client's retry (DB-07). False when another stream delivered it first (nothing recorded).
   */
  deliver(id: string, now: number, session: PlatformSession): Promise<boolean>;
  countLive(now: number): Promise<number>;
  /**
   * Counts a wrong code against a login awaiting confirmation, and denies it at `limit`, in one
   * statement (concurrent guesses cannot overshoot). Undefined when the login is no longer awaiting.
   */
  recordWrongCode(id: string, limit: number, now: number): Promise<WrongCodeCount | undefined>;
}

export function cliLoginStore({ db }: Pick<DatabaseHandle, 'db'>): CliLoginStore {
  const DELIVER = "update cli_logins set status = 'delivered' where id = ? and status = 'confirmed' and expires_at > ?";
  return {
    async create(login) {
      await db.insertInto('cli_logins').values(login).execute();
    },
    find: (id, now) => db.selectFrom('cli_logins').selectAll().where('id', '=', id).where('expires_at', '>', now).executeTakeFirst(),
    findByBrowser: (browserHash, now) =>
      db.selectFrom('cli_logins').selectAll().where('browser_hash', '=', browserHash).where('expires_at', '>', now).executeTakeFirst(),
    async transition(id, from, to, patch, now) {
      const result = await db
        .updateTable('cli_logins')
        .set({ ...patch, status: to })
        .where('id', '=', id)
        .where('status', 'in', from)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    deliver: (id, now, session) =>
      db.sql.transaction(async (tx) => {
        if ((await tx.run(DELIVER, [id, now])) !== 1) return false;
        await recordSession(tx, session);
        return true;
      }),
    recordWrongCode: (id, limit, now) =>
      db
        .updateTable('cli_logins')
        .set({
          failed_attempts: sql<number>`failed_attempts + 1`,
          // Both sides of SET read the row as it was (SQL), so this compares the new count.
          status: sql<CliLoginStatus>`case when failed_attempts + 1 >= ${limit} then 'denied' else status end`,
        })
        .where('id', '=', id)
        .where('status', '=', 'authenticated')
        .where('expires_at', '>', now)
        .returning(['failed_attempts', 'status'])
        .executeTakeFirst(),
    async countLive(now) {
      const row = await db
        .selectFrom('cli_logins')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
