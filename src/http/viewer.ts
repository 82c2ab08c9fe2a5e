// Who is looking at a page, for the header bar every page carries (my wikis, account, log out; or
// log in). The assembly provides a lookup per request (src/web/app.tsx); the layout asks it only when
// it renders, through hono's context storage, so JSON answers and redirects never pay for it.
import type { Context } from 'hono';
import { tryGetContext } from 'hono/context-storage';

export interface Viewer {
  username: string;
  /** The session's form token, when the page is on the platform's origin (the logout form needs it). */
  csrf: string | undefined;
  /** A platform admin (ADMIN_DIDS): the header links the admin page. */
  admin: boolean;
}

export type ViewerLookup = () => Promise<Viewer | undefined>;

const VIEWER = 'viewer';

export function provideViewer(c: Context, lookup: ViewerLookup): void {
  let answer: Promise<Viewer | undefined> | undefined;
  c.set(VIEWER, () => {
    answer ??= lookup();
    return answer;
  });
}

/** The request being answered (outside a request, as in a unit test, there is none). */
export function currentRequest(): Context | undefined {
  return tryGetContext();
}

export async function currentViewer(): Promise<Viewer | undefined> {
  const lookup = currentRequest()?.get(VIEWER) as ViewerLookup | undefined;
  return lookup?.();
}
