// A per-client fixed-window limit, so the login endpoint cannot be used to flood third-party
// account servers or our own database (catalogue SS-07). In memory: each instance limits alone.
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors/app-error.ts';

/** The peer address of the TCP connection (a reverse proxy's address when behind one). */
export function clientAddress(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? 'in-process';
}

export function rateLimit(options: { limit: number; windowSeconds: number; now: () => number }): MiddlewareHandler {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return async (c, next) => {
    const now = options.now();
    const key = clientAddress(c);
    let window = windows.get(key);
    if (!window || window.resetAt <= now) {
      // Forget finished windows now and then, so idle clients cost nothing.
      if (windows.size > 10_000) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      window = { count: 0, resetAt: now + options.windowSeconds };
      windows.set(key, window);
    }
    window.count += 1;
    if (window.count > options.limit) {
      throw new AppError('rate_limited', 429, 'Too many login attempts from your network. Please wait a minute and try again.', 'Slow down');
    }
    await next();
  };
}
