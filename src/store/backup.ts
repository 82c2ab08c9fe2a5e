// `robot backup` and `robot restore` for SQLite, through SQLite's online backup API: the copy is a
// consistent snapshot even while a server writes (the whole database is copied in one backup step,
// under one read transaction, https://sqlite.org/backup.html), and a restore writes through SQLite's
// own locking rather than over the file. PostgreSQL is backed up with pg_dump (docs/deployment.md).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export class BackupError extends Error {
  override name = 'BackupError';
}

/** The SQLite file a DATABASE_URL names, or a BackupError for PostgreSQL. */
export function sqliteFileOf(databaseUrl: string): string {
  if (!databaseUrl.startsWith('sqlite:')) throw new BackupError('backup and restore are for SQLite; back PostgreSQL up with pg_dump (docs/deployment.md)');
  return databaseUrl.slice('sqlite:'.length);
}

/** Copies all pages in a single step, so no write lands between two halves of the copy. */
const ALL_PAGES_AT_ONCE = () => 0x7fffffff;

export async function backupSqlite(databaseFile: string, target: string): Promise<{ pages: number }> {
  if (existsSync(target)) throw new BackupError(`${target} exists; name a new file`);
  let source: BetterSqlite3.Database;
  try {
    // Not read-only: a read-only connection cannot take part in WAL locking when the -shm file is missing.
    source = new BetterSqlite3(databaseFile, { fileMustExist: true });
  } catch (error) {
    throw new BackupError(`cannot open ${databaseFile}: ${(error as Error).message}`);
  }
  try {
    source.pragma('busy_timeout = 5000');
    const { totalPages } = await source.backup(target, { progress: ALL_PAGES_AT_ONCE });
    return { pages: totalPages };
  } catch (error) {
    throw new BackupError(`backup failed: ${(error as Error).message}`);
  } finally {
    source.close();
  }
}

/** Checks that `file` is a sound robot.wtf database before anything is overwritten with it. */
function openBackup(file: string): BetterSqlite3.Database {
  let backup: BetterSqlite3.Database;
  try {
    backup = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const [check] = backup.pragma('integrity_check') as { integrity_check: string }[];
    if (check?.integrity_check !== 'ok') throw new Error(`integrity check: ${check?.integrity_check}`);
    backup.prepare('select count(*) from kysely_migration').get();
  } catch (error) {
    throw new BackupError(`${file} is not a robot.wtf SQLite backup: ${(error as Error).message}`);
  }
  return backup;
}

/** Replaces the database's contents with the backup's. Stop the servers first: they would keep serving what they cached. */
export async function restoreSqlite(backupFile: string, databaseFile: string): Promise<{ pages: number }> {
  const backup = openBackup(backupFile);
  try {
    // Onto a new machine too, where the data directory does not exist yet.
    mkdirSync(path.dirname(databaseFile), { recursive: true });
    const { totalPages } = await backup.backup(databaseFile, { progress: ALL_PAGES_AT_ONCE });
    return { pages: totalPages };
  } catch (error) {
    throw new BackupError(`restore failed: ${(error as Error).message}`);
  } finally {
    backup.close();
  }
}
