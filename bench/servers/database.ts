// The database a benchmark server child persists to, chosen by the driver through DATABASE_URL
// (bench/harness.ts `benchDatabases`): a postgres:// URL names the server on which a fresh database is
// created for this process and dropped when it stops; anything else means SQLite in a temporary
// directory. Ours and the peer each get their own, as test/helpers/databases.ts gives each test.
import { createTestDatabase, type TestDatabase } from '../../test/helpers/databases.ts';

export const isPostgresUrl = (url: string | undefined): url is string => url !== undefined && /^postgres(ql)?:\/\//.test(url);

export function benchDatabase(): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  return isPostgresUrl(url) ? createTestDatabase('postgres', url) : createTestDatabase('sqlite');
}
