// Times every answered request into the metrics (src/metrics.ts), labelled by the pattern of the
// route that answered it (`/w/:slug/mcp`), so a wiki with ten thousand pages is still one series.
import type { Context, MiddlewareHandler } from 'hono';
import type { Metrics } from '../metrics.ts';

/** `handledElsewhere`: requests another app answers and times itself (a wiki's own host). */
export function requestMetrics(metrics: Metrics, handledElsewhere?: (c: Context) => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (handledElsewhere?.(c)) return next();
    const started = performance.now();
    await next();
    metrics.request(c.req.method, c.req.routePath, c.res.status, (performance.now() - started) / 1000);
  };
}
