// Fixed-window rate-limit counters that every instance shares (PostgreSQL; catalogue DC-05, SS-07,
// CL-01, CL-07). One statement per hit: the insert opens the window's row, a conflict adds one to it,
// and RETURNING hands back the count. The database serialises concurrent hits on the row, so no hit is
// lost and none counted twice, however many instances race (no read-then-write).
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface RateLimitStore {
  /** Counts one hit in (bucket, address, window) and returns the window's count including it. */
  hit(bucket: string, address: string, windowStart: number, expiresAt: number): Promise<number>;
}

export function rateLimitStore(db: Kysely<Database>): RateLimitStore {
  return {
    async hit(bucket, address, windowStart, expiresAt) {
      const row = await db
        .insertInto('rate_limits')
        .values({ bucket, address, window_start: windowStart, count: 1, expires_at: expiresAt })
        .onConflict((conflict) => conflict.columns(['bucket', 'address', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_limits.count', '+', 1) })))
        .returning('count')
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}
