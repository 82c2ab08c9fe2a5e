// What every answer carries, whatever route (or error mapper) made it: the request's id, which ties it
// to its log lines and audit events (DESIGN.md §5), and the security headers (catalogue CS-03: pages
// never framed, nothing sniffed, no referrer leaked).
//
// Served by Node (@hono/node-server hands the ServerResponse in `c.env.outgoing`), the headers go on the
// ServerResponse before the route runs. Node merges them with the headers the Response is written with,
// and the Response's own win, so a route's own policy stands (attachments are served with a sandbox
// policy, src/wiki/attachment-routes.tsx). That keeps the route's Response untouched: setting headers on
// it makes the adapter materialise a WHATWG Headers object and convert it back, ≈ 20 µs per request
// (docs/benchmarks.md). Called in process (`app.request`, as tests do) there is no ServerResponse, and
// the same headers are set on the Response afterwards where it has none of its own.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';

declare module 'hono' {
  interface ContextVariableMap {
    /** This request's id: in every log line and audit event about it, and in its X-Request-Id. */
    requestId: string;
  }
}

export type HeaderList = readonly (readonly [name: string, value: string])[];

/** An id the client (or the proxy in front) sent is kept when it is short and plain; else a new one. */
const CLIENT_REQUEST_ID = /^[\w\-=]{1,255}$/;

function requestIdOf(c: Context): string {
  const sent = c.req.header('x-request-id');
  return sent !== undefined && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
}

export function responseEnvelope(securityHeaders: HeaderList): MiddlewareHandler {
  return async (c, next) => {
    const requestId = requestIdOf(c);
    c.set('requestId', requestId);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing) {
      for (const [name, value] of securityHeaders) outgoing.setHeader(name, value);
      outgoing.setHeader('X-Request-Id', requestId);
      return next();
    }
    await next();
    const headers = c.res.headers;
    for (const [name, value] of securityHeaders) if (!headers.has(name)) headers.set(name, value);
    if (!headers.has('X-Request-Id')) headers.set('X-Request-Id', requestId);
  };
}
