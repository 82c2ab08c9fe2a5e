// What every route of a wiki's web view starts from: the wiki, who is asking and what they may do,
// the wiki's URLs, and authors' names. Reading needs a role or anonymous read; changing needs a
// session with the write role, a same-origin POST and the session's form token (catalogue CS-02).
import type { Context } from 'hono';
import { AppError, formExpired } from '../errors/app-error.ts';
import type { Form } from '../http/form.ts';
import { readForm } from '../http/form.ts';
import type { Config } from '../config/config.ts';
import { isSessionCsrf, sessionCsrf } from '../session/csrf.ts';
import type { SessionService } from '../session/sessions.ts';
import type { UserStore } from '../store/users.ts';
import type { Wiki, WikiStore } from '../store/wikis.ts';
import { canReadPages, roleOf, type Role } from './access.ts';
import type { AttachmentViewDeps } from './attachment-routes.tsx';
import type { WikiPages } from './pages.ts';
import type { WikiSemanticSearch } from './semantic-search.ts';
import { normalizePagePath, PagePathError } from './paths.ts';
import { wikiUrls } from './urls.ts';

/** What the web view uses; the assembly passes its AppDeps (src/web/deps.ts). */
export interface WikiViewDeps extends AttachmentViewDeps {
  config: Config;
  sessions: Pick<SessionService, 'current'>;
  wikis: WikiStore;
  pages: WikiPages;
  /** Hybrid search, for the search box. */
  semantic: WikiSemanticSearch;
  users: Pick<UserStore, 'findByDid'>;
  now: () => number;
}

export type WikiResolver = (c: Context) => Promise<Wiki | undefined>;

export const noSuchPage = (message = 'There is no page at this address.') => new AppError('not_found', 404, message, 'Not found');

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** Every URL of one wiki's web view. */
export function webUrls(config: Pick<Config, 'publicUrl' | 'wikiDomain'>, slug: string) {
  const base = wikiUrls(config, slug).base;
  const at = (section: string) => (path: string) => `${base}/${section}/${encodePath(path)}`;
  return {
    base,
    mcp: wikiUrls(config, slug).mcp,
    page: at('pages'),
    history: at('history'),
    edit: at('edit'),
    rename: at('rename'),
    remove: at('delete'),
    restore: at('restore'),
    preview: `${base}/preview`,
    search: `${base}/search`,
    changes: `${base}/changes`,
    newPage: `${base}/new`,
    asset: (name: string) => `${base}/assets/${name}`,
    /** The platform's origin: the header bar's links work from wiki hosts too. */
    platform: config.publicUrl,
    dashboard: `${config.publicUrl}/app/`,
    login: `${config.publicUrl}/auth/login`,
    settings: `${config.publicUrl}/app/wikis/${slug}`,
  };
}
export type WebUrls = ReturnType<typeof webUrls>;

export type Section = 'pages' | 'history' | 'edit' | 'rename' | 'delete' | 'restore';

export interface Visit {
  wiki: Wiki;
  role: Role | undefined;
  /** Whether the visitor may change pages: shows the edit controls. */
  canEdit: boolean;
  /** Whether the visitor has a session (anonymous readers of a public wiki have none). */
  signedIn: boolean;
  /** The session's form token, for the forms of visitors who may edit. */
  csrf: string | undefined;
  urls: WebUrls;
}

export interface Change extends Visit {
  did: string;
  form: Form;
}

export function wikiWeb(deps: WikiViewDeps, wikiOf: WikiResolver) {
  const { config, sessions, wikis, users, now } = deps;

  async function visitor(c: Context) {
    const wiki = await wikiOf(c);
    if (!wiki) throw noSuchPage('There is no wiki at this address.');
    const session = await sessions.current(c, now());
    const role = await roleOf(wikis, wiki, session?.sub);
    return { wiki, session, role };
  }

  const visit = (wiki: Wiki, role: Role | undefined, sid: string | undefined): Visit => {
    const canEdit = role === 'owner' || role === 'write';
    return { wiki, role, canEdit, signedIn: sid !== undefined, csrf: canEdit && sid ? sessionCsrf(sid) : undefined, urls: webUrls(config, wiki.slug) };
  };

  return {
    /** The wiki and the reader, or the right refusal: log in first, or "not found" to outsiders. */
    async readable(c: Context): Promise<Visit | Response> {
      const { wiki, session, role } = await visitor(c);
      if (canReadPages(wiki, role)) return visit(wiki, role, session?.sid);
      if (!session) return c.redirect(`${config.publicUrl}/auth/login?${new URLSearchParams({ return_to: c.req.url })}`, 303);
      throw noSuchPage('There is no wiki at this address, or you are not one of its members.');
    },

    /** A page GET that only editors may see (the editor, rename and delete forms). */
    async editable(c: Context): Promise<Visit | Response> {
      const { wiki, session, role } = await visitor(c);
      if (!session) return c.redirect(`${config.publicUrl}/auth/login?${new URLSearchParams({ return_to: c.req.url })}`, 303);
      if (!canReadPages(wiki, role)) throw noSuchPage('There is no wiki at this address, or you are not one of its members.');
      const seen = visit(wiki, role, session.sid);
      if (!seen.canEdit) throw readOnly();
      return seen;
    },

    /**
     * A POST that changes the wiki: from a page of this wiki's own origin, by a member with the write
     * role, carrying the session's form token. Anything else is refused before the form is used.
     */
    async change(c: Context): Promise<Change> {
      const { wiki, session, role } = await visitor(c);
      const urls = webUrls(config, wiki.slug);
      if (!fromOwnPage(c, new URL(urls.base).origin)) throw refused();
      if (!session) throw new AppError('unauthorized', 401, 'Your session has ended. Log in again; your text was not saved.', 'Not logged in');
      if (!canReadPages(wiki, role)) throw noSuchPage('There is no wiki at this address, or you are not one of its members.');
      if (role !== 'owner' && role !== 'write') throw readOnly();
      const form = await readForm(c);
      if (!isSessionCsrf(session.sid, form.get('csrf'))) throw formExpired();
      return { ...visit(wiki, role, session.sid), did: session.sub, form };
    },

    /** The page path after `{base}/{section}/`, decoded segment by segment and normalised. */
    pathIn(c: Context, urls: WebUrls, section: Section): string {
      const prefix = `${new URL(urls.base).pathname.replace(/\/$/, '')}/${section}/`;
      const raw = new URL(c.req.url).pathname;
      if (!raw.startsWith(prefix)) throw noSuchPage();
      let path: string;
      try {
        path = raw.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
      } catch {
        throw noSuchPage();
      }
      return pagePath(path);
    },

    /** `@handle` (or the username) for each DID, asked once per DID per request. */
    authorNames() {
      const known = new Map<string, Promise<string>>();
      return (did: string): Promise<string> => {
        let name = known.get(did);
        if (!name) {
          name = users.findByDid(did).then((user) => (user?.handle ? `@${user.handle}` : (user?.username ?? did)));
          known.set(did, name);
        }
        return name;
      };
    },
  };
}
export type WikiWeb = ReturnType<typeof wikiWeb>;

/**
 * Whether a POST came from a page of `origin`: its Origin header (RFC 6454 §7) names it, or, where the
 * browser sends `Origin: null` (our pages set Referrer-Policy: no-referrer, and Chromium then nulls
 * the Origin of form posts), Sec-Fetch-Site says same-origin (Fetch Metadata; a header pages cannot set).
 */
function fromOwnPage(c: Context, origin: string): boolean {
  const sent = c.req.header('origin');
  if (sent === origin) return true;
  return (sent === undefined || sent === 'null') && c.req.header('sec-fetch-site') === 'same-origin';
}

/** A valid page path, or a 404 that says what is wrong with it. */
export function pagePath(input: string): string {
  try {
    return normalizePagePath(input);
  } catch (error) {
    if (error instanceof PagePathError) throw noSuchPage(`That is not a page name: ${error.message}`);
    throw error;
  }
}

const readOnly = () => new AppError('forbidden', 403, 'You can read this wiki but not change it. Ask its owner for write access.', 'Read-only access');
const refused = () =>
  new AppError(
    'forbidden',
    403,
    'This request did not come from a page of this wiki, so it was refused. Go back, reload the page and try again.',
    'Request refused',
  );
