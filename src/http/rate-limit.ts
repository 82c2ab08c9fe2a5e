// Per-client fixed-window limits, so the login endpoints cannot be used to flood third-party account
// servers or our database, or to guess CLI session ids (catalogue SS-07, CL-01, CL-07), and no one can
// register clients without end (DC-05). Every limit counts per client address (IN-07: through trusted
// proxies only), IPv6 per /64, and never in one global bucket: a client that spends its budget, or
// forges addresses, spends its own and leaves everyone else theirs.
//
// SQLite means one process, so the counts live in its memory. On PostgreSQL every instance counts in
// one table (src/store/rate-limits.ts), so a client cannot multiply its budget by the number of
// instances. When that table fails, the limits fail OPEN to a count in the instance's own memory
// (logged at warn): failing closed would turn a counter outage into a lockout of every person and MCP
// client, while failing open to local counts still bounds each client per instance. What the limits
// guard (registrations, login state) is written to the same database, so it is not left unguarded
// while that database is unreachable anyway.
import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { ExpiringCache } from '../cache.ts';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../log.ts';
import { addressBucket, clientAddress } from '../net/client-address.ts';
import type { RateLimitStore } from '../store/rate-limits.ts';

/** A budget: `limit` hits per client per window of `windowSeconds`, counted under the name `bucket`. */
export interface RateLimit {
  bucket: string;
  limit: number;
  windowSeconds: number;
}

/** Counts one hit by the client at `address` and answers whether it is within the budget. */
export type RateLimiter = (address: string) => Promise<boolean>;

/** The limiter for a budget; every limiter handed out for one bucket name shares one count. */
export type RateLimiters = (policy: RateLimit) => RateLimiter;

/** The client address of a request to the web app: the peer, or who a trusted proxy says it serves. */
export function requestAddress(c: Context, trustedProxies: BlockList): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return clientAddress(incoming?.socket.remoteAddress, c.req.header('x-forwarded-for'), trustedProxies);
}

/** Distinct clients counted per bucket; beyond this many the window opened longest ago is forgotten. */
const COUNTED_CLIENTS = 10_000;

/** Returns a counter that answers false once `key` has been seen more than `limit` times in the window. */
function createLimiter(options: RateLimit & { now: () => number }): (key: string) => boolean {
  // Every window in one limiter is equally long, so the one evicted when full is the one that ends
  // first: forgetting it hands that client a fresh budget, which a client with that many addresses
  // already has (each address its own), and idle clients cost nothing once their window ends.
  const windows = new ExpiringCache<string, { count: number }>(COUNTED_CLIENTS);
  return (key) => {
    const now = options.now();
    let window = windows.get(key, now);
    if (!window) {
      window = { count: 0 };
      windows.set(key, window, now + options.windowSeconds);
    }
    window.count += 1;
    return window.count <= options.limit;
  };
}

/** Counts in this process's memory: the SQLite default (one process). */
export function memoryRateLimiters(now: () => number): RateLimiters {
  const limiters = new Map<string, RateLimiter>();
  return (policy) => {
    let limiter = limiters.get(policy.bucket);
    if (!limiter) {
      const allow = createLimiter({ ...policy, now });
      limiter = async (address) => allow(addressBucket(address));
      limiters.set(policy.bucket, limiter);
    }
    return limiter;
  };
}

/** Counts in the database, shared by every instance; windows are aligned to the clock so all agree. */
export function storeRateLimiters(store: RateLimitStore, log: Logger, now: () => number): RateLimiters {
  const fallback = memoryRateLimiters(now);
  return (policy) => async (address) => {
    const start = Math.floor(now() / policy.windowSeconds) * policy.windowSeconds;
    try {
      const count = await store.hit(policy.bucket, addressBucket(address), start, start + policy.windowSeconds);
      return count <= policy.limit;
    } catch (error) {
      log.warn({ event: 'rate_limit.store_failed', bucket: policy.bucket, err: error }, 'rate-limit store failed; counting in this instance alone');
      return fallback(policy)(address);
    }
  };
}

/** Refuses a request with 429 once its client has spent the budget. */
export function rateLimit(allow: RateLimiter, trustedProxies: BlockList): MiddlewareHandler {
  return async (c, next) => {
    if (!(await allow(requestAddress(c, trustedProxies)))) {
      throw new AppError('rate_limited', 429, 'Too many login attempts from your network. Please wait a minute and try again.', 'Slow down');
    }
    await next();
  };
}
