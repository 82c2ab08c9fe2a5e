// A wiki in the browser, under its base URL: the base itself shows the Home page, `/pages/{path}` one
// page (`?revision=N` an old one), `/history/{path}` its revisions and the difference between any
// two, `/search?q=` and `/changes`. Members read it with their platform session; anyone may when the
// owner turned anonymous read on. Changing pages is ./web-edit.tsx.
import { Hono, type Context } from 'hono';
import type { RevisionSummary } from '../store/pages.ts';
import { utcMinute as when } from '../http/time.ts';
import { attachmentViews } from './attachment-routes.tsx';
import { textDiff } from './diff.ts';
import { WikiError } from './pages.ts';
import { HOME_PAGE } from './seed.ts';
import { noSuchPage, wikiWeb, type Visit, type WebUrls, type WikiResolver, type WikiViewDeps } from './web-context.ts';
import { wikiEditRoutes } from './web-edit.tsx';
import { frameOf, renderPage } from './web-frame.ts';
import { ChangesPage, HistoryPage, MissingPage, PageView, SearchPage, type ChangeView, type SearchResult } from './web-view-pages.tsx';
import type { WikiSemanticSearch } from './semantic-search.ts';

export type { WikiViewDeps } from './web-context.ts';

const SEARCH_LIMIT = 30;
const HISTORY_LIMIT = 100;
const CHANGES_LIMIT = 50;

export function wikiViewRoutes(deps: WikiViewDeps, wikiOf: WikiResolver): Hono {
  const { pages } = deps;
  const web = wikiWeb(deps, wikiOf);
  const app = new Hono();
  const files = attachmentViews(deps, web.readable);
  app.route('/', files.routes);

  const changeView = async (urls: WebUrls, changes: RevisionSummary[], authorOf: (did: string) => Promise<string>): Promise<ChangeView[]> =>
    Promise.all(
      changes.map(async (change) => ({
        path: change.path,
        // A deletion has no text; its link shows the last text the page had.
        url: `${urls.page(change.path)}?revision=${change.action === 'delete' ? change.revision - 1 : change.revision}`,
        revision: change.revision,
        action: change.action,
        author: await authorOf(change.author_did),
        message: change.message,
        at: when(change.created_at),
      })),
    );

  /** One page, an old revision of it, or the offer to create it (404, but 200 as the wiki's root). */
  async function showPage(c: Context, visit: Visit, path: string, missingStatus: 200 | 404 = 404) {
    const revisionParam = c.req.query('revision');
    const revision = revisionParam === undefined ? undefined : Number(revisionParam);
    if (revision !== undefined && !(Number.isInteger(revision) && revision > 0)) throw noSuchPage('That revision number is not valid.');
    const { frame, existing } = await frameOf(pages, visit, c);
    const live = await pages.read(visit.wiki.id, path).catch(orMissing);
    const shown = revision === undefined || revision === live?.revision ? live : await pages.read(visit.wiki.id, path, revision).catch(orMissing);
    const backlinks = await pages.links(visit.wiki.id, path).then(
      (links) => links.backlinks,
      () => [] as string[],
    );
    if (!shown) {
      if (revision !== undefined) throw noSuchPage(`“${path}” has no revision ${revision}.`);
      // A deleted page keeps its history, where any revision can be restored; a renamed one lives on elsewhere.
      const latest = (await pages.history(visit.wiki.id, path, 1).catch(orMissing))?.items[0];
      const deletedAt = latest?.action === 'delete' && latest.path === path ? when(latest.created_at) : undefined;
      const movedTo = latest && latest.path !== path ? latest.path : undefined;
      return c.html(<MissingPage {...frame} path={path} backlinks={backlinks} deletedAt={deletedAt} movedTo={movedTo} />, missingStatus);
    }
    const authorOf = web.authorNames();
    return c.html(
      <PageView
        {...frame}
        path={shown.path}
        revision={shown.revision}
        currentRevision={live?.revision}
        updated={when(shown.updatedAt)}
        author={await authorOf(shown.updatedBy)}
        html={renderPage(shown.content, visit.urls, existing, files.imageUrl(visit.wiki, shown.path))}
        backlinks={backlinks}
        // A deleted page's files are hidden with it; an old revision shows the page's current files.
        attachments={live ? await files.panel(c, visit.wiki, visit.role, shown.path) : undefined}
      />,
    );
  }

  app.get('/', async (c) => {
    const visit = await web.readable(c);
    if (visit instanceof Response) return visit;
    return showPage(c, visit, HOME_PAGE, 200);
  });

  app.get('/pages/*', async (c) => {
    const visit = await web.readable(c);
    if (visit instanceof Response) return visit;
    return showPage(c, visit, web.pathIn(c, visit.urls, 'pages'));
  });

  app.get('/history/*', async (c) => {
    const visit = await web.readable(c);
    if (visit instanceof Response) return visit;
    const path = web.pathIn(c, visit.urls, 'history');
    const history = (await pages.history(visit.wiki.id, path, HISTORY_LIMIT).catch(orMissing))?.items;
    if (!history) throw noSuchPage(`There is no page “${path}” and never was.`);
    const from = revisionQuery(c, 'from');
    const to = revisionQuery(c, 'to');
    let diff: ReturnType<typeof textDiff> | undefined;
    if (from !== undefined && to !== undefined) {
      const textAt = (revision: number) =>
        pages.read(visit.wiki.id, path, revision).then(
          (page) => page.content,
          // A deletion has no text: compare with nothing.
          (error) => (error instanceof WikiError && history.some((r) => r.revision === revision && r.action === 'delete') ? '' : orMissing(error)),
        );
      const [before, after] = await Promise.all([textAt(from), textAt(to)]);
      if (before === undefined || after === undefined) throw noSuchPage(`“${path}” has no such revision.`);
      diff = textDiff(before, after);
    }
    const { frame } = await frameOf(pages, visit, c);
    const changes = await changeView(visit.urls, history, web.authorNames());
    return c.html(<HistoryPage {...frame} path={path} changes={changes} from={from} to={to} diff={diff} />);
  });

  app.get('/search', async (c) => {
    const visit = await web.readable(c);
    if (visit instanceof Response) return visit;
    const query = (c.req.query('q') ?? '').trim().slice(0, 200);
    const { frame } = await frameOf(pages, visit, c);
    const results = query ? await searchPages(deps.semantic, visit.wiki.id, query) : undefined;
    return c.html(<SearchPage {...frame} query={query} results={results} />);
  });

  app.get('/changes', async (c) => {
    const visit = await web.readable(c);
    if (visit instanceof Response) return visit;
    const { frame } = await frameOf(pages, visit, c);
    const changes = await changeView(visit.urls, (await pages.recentChanges(visit.wiki.id, CHANGES_LIMIT)).items, web.authorNames());
    return c.html(<ChangesPage {...frame} changes={changes} />);
  });

  app.route('/', wikiEditRoutes(deps, web));
  return app;
}

/** The one place the web view searches (full text today; the ranking may change behind it). */
/**
 * The search box ranks by meaning and by words together (./semantic-search.ts, as semantic_search
 * does), one passage per page; a passage found by its words marks them.
 */
async function searchPages(semantic: WikiSemanticSearch, wikiId: string, query: string): Promise<SearchResult[]> {
  const { results } = await semantic.search(wikiId, query, { limit: SEARCH_LIMIT, maxChunksPerPage: 1 });
  return results.map((hit) => ({ path: hit.path, section: hit.headingPath.join(' › '), snippet: hit.wordSnippet ?? hit.snippet }));
}

function revisionQuery(c: Context, name: string): number | undefined {
  const value = c.req.query(name);
  if (value === undefined) return undefined;
  const revision = Number(value);
  if (!Number.isInteger(revision) || revision < 1) throw noSuchPage('That revision number is not valid.');
  return revision;
}

/** A wiki rule violation (bad path, missing page or revision) reads as "no such page" here. */
function orMissing(error: unknown): undefined {
  if (error instanceof WikiError) return undefined;
  throw error;
}
