// Which browser origins may call a wiki's MCP endpoint. MCP 2025-11-25 "Transports", Security
// Warning: servers MUST validate `Origin` on every incoming connection to prevent DNS rebinding and
// answer 403 to an invalid one; clients that are not browsers send none and are not affected.
//
// The threat is a page on an attacker's origin whose name is rebound to the server's address: the
// browser then sends the attacker's name as both Host and Origin, so the check can never trust an
// origin because it matches the Host. Ours are taken from configuration: the platform's origin, the
// wiki's own origin, MCP_ALLOWED_ORIGINS, and loopback origins (MCP Inspector runs at
// http://localhost:6274 and a local page is the user's own). A development server on loopback also
// requires a loopback Host, which is what stops a rebound page's requests that carry no Origin (the
// MCP SDK's localhost host validation does the same). Everywhere else a bearer token is required
// anyway, and browsers never attach one by themselves.
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Config } from '../config/config.ts';

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface OriginRules {
  /** Origins allowed on every wiki: the platform's and MCP_ALLOWED_ORIGINS. */
  allowed: ReadonlySet<string>;
  /** The server is addressed on loopback (development): the Host must be a loopback name too. */
  loopbackServer: boolean;
  /** Host mode: a wiki's own origin is `https://{slug}.$WIKI_DOMAIN`. */
  wikiDomain: string | undefined;
}

export function originRules(config: Pick<Config, 'publicUrl' | 'atprotoClientMode' | 'wikiDomain' | 'mcpAllowedOrigins'>): OriginRules {
  return {
    allowed: new Set([config.publicUrl, ...config.mcpAllowedOrigins]),
    // An http PUBLIC_URL is only accepted on a loopback address (config.ts), and selects this mode.
    loopbackServer: config.atprotoClientMode === 'loopback',
    wikiDomain: config.wikiDomain,
  };
}

/** A serialised loopback origin (RFC 6454 §6.2), any port. */
function isLoopbackOrigin(origin: string): boolean {
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  return url.origin === origin && (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTNAMES.has(url.hostname);
}

/** Host mode: the wiki's own origin, from a Host under our own domain (path mode: the platform's, in `allowed`). */
function wikiOrigin(rules: OriginRules, requestUrl: URL): string | undefined {
  const { hostname } = requestUrl;
  return rules.wikiDomain && hostname.endsWith(`.${rules.wikiDomain}`) ? `https://${hostname}` : undefined;
}

export function isAllowedOrigin(rules: OriginRules, origin: string, requestUrl: URL): boolean {
  return rules.allowed.has(origin) || origin === wikiOrigin(rules, requestUrl) || isLoopbackOrigin(origin);
}

/** Why the request must be refused, or undefined. `origin` is undefined when the header is absent. */
export function originRefusal(rules: OriginRules, origin: string | undefined, requestUrl: URL): string | undefined {
  // @hono/node-server builds the request URL from the Host header. A wiki host under our own
  // domain is a name we configured, never one a rebound page can send.
  if (rules.loopbackServer && !LOOPBACK_HOSTNAMES.has(requestUrl.hostname) && !wikiOrigin(rules, requestUrl)) {
    return 'Forbidden: this development server answers only to a loopback Host (DNS rebinding protection)';
  }
  if (origin !== undefined && !isAllowedOrigin(rules, origin, requestUrl)) {
    return 'Forbidden: requests from this Origin may not call the MCP endpoint (DNS rebinding protection)';
  }
  return undefined;
}

const EXPOSED_HEADERS = ['WWW-Authenticate', 'Mcp-Session-Id'];

/**
 * The endpoint's Origin policy, one layer before the wiki is looked up or any credential is read:
 * preflights answered without authentication (CORS); then the Origin/Host check, 403 with a JSON-RPC
 * error without an id (MCP transports allows one); then CORS for browser clients on allowed origins,
 * so that `WWW-Authenticate` is readable (it starts their authorization, PR-03). Any other origin
 * gets no grant.
 */
export function mcpOriginPolicy(rules: OriginRules): MiddlewareHandler {
  const preflight = cors({
    origin: (origin, c) => (origin && isAllowedOrigin(rules, origin, new URL(c.req.url)) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'Last-Event-ID'],
    exposeHeaders: EXPOSED_HEADERS,
  });
  const exposed = EXPOSED_HEADERS.join(',');
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    const origin = c.req.header('origin');
    // Without an Origin only a development server has something to check (its Host), so clients
    // that are not browsers cost no URL parsing elsewhere.
    const requestUrl = origin !== undefined || rules.loopbackServer ? new URL(c.req.url) : undefined;
    const refusal = requestUrl && originRefusal(rules, origin, requestUrl);
    // Clients that are not browsers need no CORS headers: their answer goes out as the SDK built it
    // (headers added to it cost a conversion, src/http/response-envelope.ts). No `Vary: Origin` is
    // lost: an answer to a POST is not reused for another request (RFC 9111 §4).
    if (!refusal && origin === undefined && c.req.method === 'POST') return next();
    let response: Response;
    if (refusal) {
      response = c.json({ jsonrpc: '2.0', error: { code: -32000, message: refusal }, id: null }, 403, { 'Cache-Control': 'no-store' });
    } else {
      await next();
      response = c.res;
    }
    // The same headers hono's cors sets on an actual request, but on the response the route returned:
    // set on the context before the route runs (or with c.header after), they make Hono re-create that
    // response to merge them, and the SDK transport's answer then goes out as a stream, on every call.
    const { headers } = response;
    if (origin !== undefined && requestUrl && isAllowedOrigin(rules, origin, requestUrl)) headers.set('Access-Control-Allow-Origin', origin);
    headers.set('Access-Control-Expose-Headers', exposed);
    headers.append('Vary', 'Origin');
    return response;
  };
}
