// Fixed-window rate-limit counters that every instance shares (PostgreSQL; catalogue DC-05, SS-07,
// CL-01, CL-07). One statement per hit: the insert opens the window's row, a conflict adds one to it,
// and RETURNING hands back the count. The database serialises concurrent hits on the row, so no hit is
// lost and none counted twice, however many instances race (no read-then-write).
import type { Sql } from './sql.ts';

export interface RateLimitStore {
  /** Counts one hit in (bucket, address, window) and returns the window's count including it. */
  hit(bucket: string, address: string, windowStart: number, expiresAt: number): Promise<number>;
}

/** Every registration (DC-05) and login attempt counts here: plain SQL (./sql.ts). */
const HIT = `insert into rate_limits (bucket, address, window_start, count, expires_at) values (?, ?, ?, 1, ?)
  on conflict (bucket, address, window_start) do update set count = rate_limits.count + 1 returning count`;

export function rateLimitStore(sql: Sql): RateLimitStore {
  return {
    async hit(bucket, address, windowStart, expiresAt) {
      const row = await sql.one<{ count: number | string }>(HIT, [bucket, address, windowStart, expiresAt]);
      return Number(row!.count);
    },
  };
}
