// Whether a cookie-authenticated form post came from a page on `origin` (catalogue CS-02): sibling
// wiki origins are same-site, so SameSite cookies are no defence. Browsers send `Origin: null` from
// our pages (they are served with Referrer-Policy: no-referrer), so Sec-Fetch-Site decides where the
// browser sends it, and Origin where it does not.
import type { Context } from 'hono';

export function isFromOrigin(c: Context, origin: string): boolean {
  const sent = c.req.header('origin');
  const fetchSite = c.req.header('sec-fetch-site');
  const sameOrigin = fetchSite ? fetchSite === 'same-origin' : sent === origin;
  return sameOrigin && (sent === undefined || sent === 'null' || sent === origin);
}
