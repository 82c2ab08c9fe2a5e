// The read-only web view of a wiki, under its base URL: the base itself (pages and recent changes),
// `/pages/{path}` (one page, `?revision=N` for an old one) and `/history/{path}`. Members read it with
// their platform session; anyone may when the owner turned anonymous read on.
import { Hono, type Context } from 'hono';
import { AppError } from '../errors/app-error.ts';
import type { RevisionSummary } from '../store/pages.ts';
import type { Wiki, WikiStore } from '../store/wikis.ts';
import type { Config } from '../config/config.ts';
import type { SessionService } from '../session/sessions.ts';
import { utcMinute as when } from '../http/time.ts';
import { WikiHistoryPage, WikiIndexPage, WikiPageView, type ChangeView } from './web-view-pages.tsx';
import { canReadPages, roleOf, type Role } from './access.ts';
import { WikiError, type WikiPages } from './pages.ts';
import { renderMarkdown } from './markdown.ts';
import { wikiUrls } from './urls.ts';

type WikiResolver = (c: Context) => Promise<Wiki | undefined>;

const noSuchPage = (message = 'There is no page at this address.') => new AppError('not_found', 404, message, 'Not found');
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** What the web view uses; the assembly passes its AppDeps (src/web/deps.ts). */
export interface WikiViewDeps {
  config: Config;
  sessions: Pick<SessionService, 'current'>;
  wikis: WikiStore;
  pages: WikiPages;
  now: () => number;
}

export function wikiViewRoutes(deps: WikiViewDeps, wikiOf: WikiResolver): Hono {
  const { config, sessions, wikis, pages, now } = deps;
  const app = new Hono();

  /** The wiki and the reader's role, or the right refusal: log in first, or "not found" to outsiders. */
  async function readable(c: Context): Promise<{ wiki: Wiki; role: Role | undefined } | Response> {
    const wiki = await wikiOf(c);
    if (!wiki) throw noSuchPage('There is no wiki at this address.');
    const session = await sessions.current(c, now());
    const role = await roleOf(wikis, wiki, session?.sub);
    if (canReadPages(wiki, role)) return { wiki, role };
    if (!session) return c.redirect(`${config.publicUrl}/auth/login?${new URLSearchParams({ return_to: c.req.url })}`, 303);
    throw noSuchPage('There is no wiki at this address, or you are not one of its members.');
  }

  function frame(wiki: Wiki, role: Role | undefined) {
    const base = wikiUrls(config, wiki.slug).base;
    return {
      wikiName: wiki.display_name,
      wikiUrl: base,
      home: `${config.publicUrl}/app/`,
      settingsUrl: role ? `${config.publicUrl}/app/wikis/${wiki.slug}` : undefined,
      pageUrl: (path: string) => `${base}/pages/${encodePath(path)}`,
      historyUrl: (path: string) => `${base}/history/${encodePath(path)}`,
      /** The page path after `{base}/{section}/`, decoded segment by segment. */
      pathIn: (c: Context, section: 'pages' | 'history') => {
        const prefix = `${new URL(base).pathname.replace(/\/$/, '')}/${section}/`;
        const raw = new URL(c.req.url).pathname;
        if (!raw.startsWith(prefix)) throw noSuchPage();
        try {
          return raw.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
        } catch {
          throw noSuchPage();
        }
      },
    };
  }

  const changeView =
    (pageUrl: (path: string) => string) =>
    (change: RevisionSummary): ChangeView => ({
      path: change.path,
      url: change.action === 'delete' ? `${pageUrl(change.path)}?revision=${change.revision - 1}` : `${pageUrl(change.path)}?revision=${change.revision}`,
      revision: change.revision,
      action: change.action,
      author: change.author_did,
      message: change.message,
      at: when(change.created_at),
    });

  /** Wiki rule violations (bad path, missing page or revision) are a 404 page here; the wiki's own
   * messages are written for assistants using the tools. */
  const orNotFound = async <T,>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof WikiError) throw noSuchPage('There is no such page or revision in this wiki.');
      throw error;
    }
  };

  app.get('/', async (c) => {
    const access = await readable(c);
    if (access instanceof Response) return access;
    const { wiki, role } = access;
    const view = frame(wiki, role);
    const list = (await pages.list(wiki.id, { limit: 1000 })).items;
    const changes = (await pages.recentChanges(wiki.id, 15)).items;
    return c.html(
      <WikiIndexPage
        {...view}
        pages={list.map((page) => ({ path: page.path, url: view.pageUrl(page.path), updated: when(page.updated_at) }))}
        changes={changes.map(changeView(view.pageUrl))}
      />,
    );
  });

  app.get('/pages/*', async (c) => {
    const access = await readable(c);
    if (access instanceof Response) return access;
    const { wiki, role } = access;
    const view = frame(wiki, role);
    const path = view.pathIn(c, 'pages');
    const revisionParam = c.req.query('revision');
    const revision = revisionParam === undefined ? undefined : Number(revisionParam);
    if (revision !== undefined && !(Number.isInteger(revision) && revision > 0)) throw noSuchPage('That revision number is not valid.');
    const page = await orNotFound(() => pages.read(wiki.id, path, revision));
    // Only an explicitly requested revision can be an old one.
    const current =
      revision === undefined ||
      (await pages.read(wiki.id, path).then(
        (live) => live.revision === page.revision,
        () => false,
      ));
    return c.html(
      <WikiPageView
        {...view}
        path={page.path}
        revision={page.revision}
        current={current}
        updated={when(page.updatedAt)}
        author={page.updatedBy}
        html={renderMarkdown(page.content, view.pageUrl)}
        historyUrl={view.historyUrl(page.path)}
        currentUrl={view.pageUrl(page.path)}
      />,
    );
  });

  app.get('/history/*', async (c) => {
    const access = await readable(c);
    if (access instanceof Response) return access;
    const { wiki, role } = access;
    const view = frame(wiki, role);
    const path = view.pathIn(c, 'history');
    const history = (await orNotFound(() => pages.history(wiki.id, path, 100))).items;
    return c.html(<WikiHistoryPage {...view} path={path} changes={history.map(changeView(view.pageUrl))} />);
  });

  return app;
}
