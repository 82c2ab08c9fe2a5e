// Diagnostic mode (BENCH_QUERIES=1): counts every SQLite statement a server runs, by SQL text, so the
// driver can report the reads and writes one operation costs (DESIGN.md §6: count writes per flow).
// It wraps better-sqlite3's prepare, which both our Kysely dialect and the oidc-provider adapter use.
import BetterSqlite3 from 'better-sqlite3';

const counts = new Map<string, number>();

export function queryCounts(): Record<string, number> {
  return Object.fromEntries(counts);
}

export function countQueries(): void {
  const database = BetterSqlite3.prototype as unknown as { prepare(this: unknown, source: string): Record<string, unknown> };
  const prepare = database.prepare;
  database.prepare = function (this: unknown, source: string) {
    const statement = prepare.call(this, source);
    const key = `${statement.reader ? 'read ' : 'write'} ${source.replace(/\s+/g, ' ').trim()}`;
    for (const method of ['run', 'get', 'all', 'iterate']) {
      const original = statement[method] as (...args: unknown[]) => unknown;
      statement[method] = function (this: unknown, ...args: unknown[]) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return original.apply(this, args);
      };
    }
    return statement;
  };
}
