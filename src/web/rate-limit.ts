// Per-client fixed-window limits, so the login endpoints cannot be used to flood third-party account
// servers or our database, or to guess CLI session ids (catalogue SS-07, CL-01, CL-07). In memory:
// each instance limits alone.
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors/app-error.ts';

/** The peer address of the TCP connection (a reverse proxy's address when behind one). */
export function clientAddress(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? 'in-process';
}

/** Returns a counter that answers false once `key` has been seen more than `limit` times in the window. */
export function createLimiter(options: { limit: number; windowSeconds: number; now: () => number }): (key: string) => boolean {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return (key) => {
    const now = options.now();
    let window = windows.get(key);
    if (!window || window.resetAt <= now) {
      // Forget finished windows now and then, so idle clients cost nothing.
      if (windows.size > 10_000) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      window = { count: 0, resetAt: now + options.windowSeconds };
      windows.set(key, window);
    }
    window.count += 1;
    return window.count <= options.limit;
  };
}

export function rateLimit(options: { limit: number; windowSeconds: number; now: () => number }): MiddlewareHandler {
  const allow = createLimiter(options);
  return async (c, next) => {
    if (!allow(clientAddress(c))) {
      throw new AppError('rate_limited', 429, 'Too many login attempts from your network. Please wait a minute and try again.', 'Slow down');
    }
    await next();
  };
}
