// The CSRF token of a platform session's own forms (dashboard, logout): derived from the session id,
// which only the HttpOnly cookie carries, so a page on another origin (a sibling wiki host is
// same-site, catalogue decision 4) can neither read nor compute it. Checked besides the Origin /
// Sec-Fetch-Site guard in web/app.tsx (catalogue CS-02).
import { constantTimeEqual, sha256 } from '../secrets.ts';

export const sessionCsrf = (sid: string) => sha256(`dashboard-csrf:${sid}`);

export function isSessionCsrf(sid: string, presented: string | undefined): boolean {
  return constantTimeEqual(presented ?? '', sessionCsrf(sid));
}
