// The wiki in the browser, for reading: the frame every wiki page shares (search box, page tree,
// notices), a page with its backlinks, the page that offers to create a missing one, history with the
// difference between two revisions, search results and recent changes. Lists, not tables, so nothing
// is wider than a phone.
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import { Layout } from '../http/pages.tsx';
import type { DiffRow, TextDiff } from './diff.ts';
import type { WebUrls } from './web-context.ts';

export interface TreeNode {
  name: string;
  path: string;
  /** A page exists at `path` (a folder may be only a prefix of other pages). */
  page: boolean;
  children: TreeNode[];
}

export interface WikiFrame {
  wikiName: string;
  /** What the wiki is for, in its owner's words ('' when none). */
  wikiDescription: string;
  urls: WebUrls;
  /** Whether the visitor may change pages; false hides every edit control. */
  canEdit: boolean;
  /** Whether the visitor is a member (shows the settings link). */
  member: boolean;
  /** Where to log in and come back, for visitors without a session. */
  loginUrl?: string | undefined;
  tree: TreeNode[];
  /** What the last action did, or its error, shown first. */
  notice?: { text: string; error?: boolean } | undefined;
  csrf?: string | undefined;
}

export interface ChangeView {
  path: string;
  url: string;
  revision: number;
  action: 'create' | 'edit' | 'rename' | 'delete';
  author: string;
  message: string | null;
  at: string;
}

const Tree: FC<{ nodes: TreeNode[]; urls: WebUrls; current?: string | undefined }> = ({ nodes, urls, current }) => (
  <ul>
    {nodes.map((node) => (
      <li>
        {node.page ? (
          <a href={urls.page(node.path)} aria-current={node.path === current ? 'page' : undefined}>
            {node.name}
          </a>
        ) : (
          <span class="folder">{node.name}</span>
        )}
        {node.children.length > 0 ? <Tree nodes={node.children} urls={urls} current={current} /> : null}
      </li>
    ))}
  </ul>
);

export const Notice: FC<{ notice: WikiFrame['notice'] }> = ({ notice }) =>
  notice ? (
    <p role={notice.error ? 'alert' : 'status'} class={notice.error ? 'alert' : 'notice'}>
      {notice.text}
    </p>
  ) : null;

/** Every wiki page: the wiki's name and search on top, the page tree beside (below on phones). */
export const WikiShell: FC<WikiFrame & { title: string; current?: string; children: Child }> = (props) => (
  <Layout title={`${props.title} · ${props.wikiName}`} wide platform={props.urls.platform}>
    <link rel="stylesheet" href="/static/wiki.css" />
    <div class="wiki">
      <div class="wiki-main">
        <div class="wiki-top">
          <p class="wiki-name">
            <a href={props.urls.base}>{props.wikiName}</a>
          </p>
          <search class="wiki-search">
            <form method="get" action={props.urls.search}>
              <label for="wiki-search-q" class="visually-hidden">
                Search this wiki
              </label>
              <input id="wiki-search-q" type="search" name="q" placeholder="Search this wiki" />
              <button type="submit">Search</button>
            </form>
          </search>
        </div>
        {props.wikiDescription ? <p class="wiki-description">{props.wikiDescription}</p> : null}
        <Notice notice={props.notice} />
        {props.children}
      </div>
      <aside class="wiki-side" aria-label="Pages of this wiki">
        <h2>Pages</h2>
        {props.tree.length === 0 ? <p>No pages yet.</p> : <Tree nodes={props.tree} urls={props.urls} current={props.current} />}
        <ul class="wiki-tools">
          <li>
            <a href={props.urls.changes}>Recent changes</a>
          </li>
          {props.member ? (
            <li>
              <a href={props.urls.settings}>Wiki settings</a>
            </li>
          ) : null}
        </ul>
        {props.canEdit ? (
          <form method="get" action={props.urls.newPage} class="new-page">
            <label for="new-page-path">New page</label>
            <input id="new-page-path" name="path" required placeholder="Projects/Ideas" autocapitalize="none" />
            <button type="submit" class="secondary">
              Start new page
            </button>
          </form>
        ) : null}
      </aside>
    </div>
  </Layout>
);

/** A list of pages, each linked (the pages that link here, on a page and on a missing one). */
const PageLinks: FC<{ paths: string[]; urls: WebUrls }> = ({ paths, urls }) => (
  <ul>
    {paths.map((path) => (
      <li>
        <a href={urls.page(path)}>{path}</a>
      </li>
    ))}
  </ul>
);

const Breadcrumb: FC<{ path: string; urls: WebUrls }> = ({ path, urls }) => {
  const segments = path.split('/');
  if (segments.length < 2) return null;
  return (
    <nav aria-label="breadcrumb">
      <ul>
        {segments.slice(0, -1).map((segment) => (
          <li>{segment}</li>
        ))}
        <li>
          <a href={urls.page(path)} aria-current="page">
            {segments.at(-1)}
          </a>
        </li>
      </ul>
    </nav>
  );
};

/** A POST button form carrying the session's form token. */
export const ActionForm: FC<{ action: string; csrf: string | undefined; children: Child; class?: string }> = (props) => (
  <form method="post" action={props.action} class={props.class ?? 'inline-form'}>
    <input type="hidden" name="csrf" value={props.csrf ?? ''} />
    {props.children}
  </form>
);

export const PageView: FC<
  WikiFrame & {
    path: string;
    revision: number;
    /** The page's current revision, or undefined when this is the last text of a deleted page. */
    currentRevision: number | undefined;
    updated: string;
    author: string;
    html: string;
    backlinks: string[];
    /** The page's files (src/wiki/attachment-view.tsx). */
    attachments?: Child;
  }
> = (props) => {
  const current = props.revision === props.currentRevision;
  return (
    <WikiShell {...props} title={props.path} current={props.path}>
      <article class="wiki-article">
        <Breadcrumb path={props.path} urls={props.urls} />
        <header class="page-header">
          <h1 class="page-title">{props.path.split('/').at(-1)}</h1>
          <p class="page-meta">
            <small>
              Revision {props.revision}, {props.updated} by {props.author} · <a href={props.urls.history(props.path)}>History</a>
            </small>
          </p>
          {props.canEdit && current ? (
            <div class="page-actions">
              {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
              <a href={props.urls.edit(props.path)} role="button">
                Edit
              </a>
              {/* biome-ignore lint/a11y/useSemanticElements: as above */}
              <a href={props.urls.rename(props.path)} role="button" class="secondary outline">
                Rename
              </a>
              {/* biome-ignore lint/a11y/useSemanticElements: as above */}
              <a href={props.urls.remove(props.path)} role="button" class="secondary outline">
                Delete
              </a>
            </div>
          ) : null}
        </header>
        {current ? null : (
          <div role="note" class="alert old-revision">
            <p>
              {props.currentRevision === undefined
                ? `This page was deleted; this is its last text (revision ${props.revision}).`
                : `This is revision ${props.revision}, not the current one (revision ${props.currentRevision}).`}{' '}
              {props.currentRevision === undefined ? null : <a href={props.urls.page(props.path)}>Current version</a>}
            </p>
            {props.canEdit ? (
              <ActionForm action={props.urls.restore(props.path)} csrf={props.csrf}>
                <input type="hidden" name="revision" value={String(props.revision)} />
                {props.currentRevision === undefined ? null : <input type="hidden" name="base_revision" value={String(props.currentRevision)} />}
                <button type="submit">Restore this version</button>
              </ActionForm>
            ) : null}
          </div>
        )}
        <div class="wiki-page">{raw(props.html)}</div>
        {props.attachments}
        <section class="backlinks" aria-labelledby="backlinks-heading">
          <h2 id="backlinks-heading">Pages that link here</h2>
          {props.backlinks.length === 0 ? <p>No page links here yet.</p> : <PageLinks paths={props.backlinks} urls={props.urls} />}
        </section>
      </article>
    </WikiShell>
  );
};

/** A page that does not exist (status 404): editors are offered to write it. */
export const MissingPage: FC<WikiFrame & { path: string; backlinks: string[]; deletedAt?: string | undefined; movedTo?: string | undefined }> = (props) => (
  <WikiShell {...props} title={props.path}>
    <article class="wiki-article">
      <h1 class="page-title">{props.path}</h1>
      {props.movedTo ? (
        <p>
          “{props.path}” was renamed to <a href={props.urls.page(props.movedTo)}>{props.movedTo}</a>.
        </p>
      ) : null}
      {props.deletedAt ? (
        <p>
          “{props.path}” was deleted ({props.deletedAt}). Its <a href={props.urls.history(props.path)}>history</a> keeps every revision; open one to restore it.
        </p>
      ) : props.movedTo ? null : (
        <p>There is no page “{props.path}” in this wiki yet.</p>
      )}
      {props.canEdit ? (
        <p>
          {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
          <a href={props.urls.edit(props.path)} role="button">
            Create this page
          </a>
        </p>
      ) : (
        <p>Members who may edit this wiki can create it. {props.loginUrl ? <a href={props.loginUrl}>Log in</a> : null}</p>
      )}
      {props.backlinks.length > 0 ? (
        <section aria-labelledby="wanted-heading">
          <h2 id="wanted-heading">Pages that link here</h2>
          <PageLinks paths={props.backlinks} urls={props.urls} />
        </section>
      ) : null}
    </article>
  </WikiShell>
);

const ACTION_WORDS: Record<ChangeView['action'], string> = { create: 'created', edit: 'edited', rename: 'renamed', delete: 'deleted' };

const ChangeLine: FC<{ change: ChangeView; withPath: boolean }> = ({ change, withPath }) => (
  <>
    {withPath ? (
      <>
        <a href={change.url}>{change.path}</a>{' '}
      </>
    ) : (
      <a href={change.url}>Revision {change.revision}</a>
    )}{' '}
    <span class={`badge ${change.action}`}>{change.action === 'rename' ? `renamed to “${change.path}”` : ACTION_WORDS[change.action]}</span>{' '}
    <small>
      {withPath ? `revision ${change.revision}, ` : ''}
      {change.at} by {change.author}
    </small>
    {change.message ? <div class="change-message">{change.message}</div> : null}
  </>
);

export const ChangesPage: FC<WikiFrame & { changes: ChangeView[] }> = (props) => (
  <WikiShell {...props} title="Recent changes">
    <article class="wiki-article">
      <h1>Recent changes</h1>
      {props.changes.length === 0 ? (
        <p>Nothing has changed yet.</p>
      ) : (
        <ol class="changes">
          {props.changes.map((change) => (
            <li>
              <ChangeLine change={change} withPath />
            </li>
          ))}
        </ol>
      )}
    </article>
  </WikiShell>
);

const lines = (count: number) => `${count} line${count === 1 ? '' : 's'}`;

export const DiffView: FC<{ diff: TextDiff; caption: string }> = ({ diff, caption }) => (
  <figure class="diff">
    <figcaption>
      {caption}: <span class="added">{lines(diff.added)} added</span>, <span class="removed">{diff.removed} removed</span>
    </figcaption>
    {diff.rows.length === 0 ? (
      <p>The two texts are the same.</p>
    ) : (
      <pre>
        {diff.rows.map((row: DiffRow) =>
          row.kind === 'folded' ? (
            <span class="fold">{`⋯ ${row.lines} unchanged lines ⋯\n`}</span>
          ) : row.kind === 'added' ? (
            <ins>{`+ ${row.text}\n`}</ins>
          ) : row.kind === 'removed' ? (
            <del>{`- ${row.text}\n`}</del>
          ) : (
            <span>{`  ${row.text}\n`}</span>
          ),
        )}
      </pre>
    )}
  </figure>
);

export const HistoryPage: FC<
  WikiFrame & { path: string; changes: ChangeView[]; from?: number | undefined; to?: number | undefined; diff?: TextDiff | undefined }
> = (props) => (
  <WikiShell {...props} title={`History of ${props.path}`} current={props.path}>
    <article class="wiki-article">
      <h1>History of {props.path}</h1>
      <p>
        <a href={props.urls.page(props.path)}>Back to the page</a>
      </p>
      {props.diff ? <DiffView diff={props.diff} caption={`From revision ${props.from} to revision ${props.to}`} /> : null}
      <form method="get" action={props.urls.history(props.path)}>
        <fieldset>
          <legend>Choose two revisions to compare</legend>
          <ol class="changes history">
            {props.changes.map((change, index) => (
              <li>
                <span class="compare-choice">
                  <label>
                    <input
                      type="radio"
                      name="from"
                      value={String(change.revision)}
                      checked={props.from === undefined ? index === 1 : props.from === change.revision}
                      aria-label={`Compare from revision ${change.revision}`}
                    />
                    from
                  </label>
                  <label>
                    <input
                      type="radio"
                      name="to"
                      value={String(change.revision)}
                      checked={props.to === undefined ? index === 0 : props.to === change.revision}
                      aria-label={`Compare to revision ${change.revision}`}
                    />
                    to
                  </label>
                </span>
                <ChangeLine change={change} withPath={false} />
              </li>
            ))}
          </ol>
        </fieldset>
        {props.changes.length > 1 ? <button type="submit">Compare revisions</button> : null}
      </form>
    </article>
  </WikiShell>
);

/** A search result: the page and an excerpt whose matched terms the store marked with « and ». */
export interface SearchResult {
  path: string;
  /** The headings above the passage ('' before any heading). */
  section: string;
  snippet: string;
}

const Snippet: FC<{ text: string }> = ({ text }) => (
  <>{text.split(/(«[^«»]*»)/).map((part) => (part.startsWith('«') && part.endsWith('»') ? <mark>{part.slice(1, -1)}</mark> : part))}</>
);

export const SearchPage: FC<WikiFrame & { query: string; results: SearchResult[] | undefined }> = (props) => (
  <WikiShell {...props} title={props.query ? `Search: ${props.query}` : 'Search'}>
    <article class="wiki-article">
      <h1>Search</h1>
      <search>
        <form method="get" action={props.urls.search}>
          <label for="search-q">
            What to find (in your own words, or the page's)
            <input id="search-q" type="search" name="q" value={props.query} required />
          </label>
          <button type="submit">Search</button>
        </form>
      </search>
      {props.results === undefined ? null : props.results.length === 0 ? (
        <p role="status">No page matches “{props.query}”.</p>
      ) : (
        <>
          <p role="status">
            {props.results.length} page{props.results.length === 1 ? '' : 's'} found for “{props.query}”.
          </p>
          <ol class="search-results">
            {props.results.map((result) => (
              <li>
                <a href={props.urls.page(result.path)}>{result.path}</a>
                {result.section ? <small class="search-section"> · {result.section}</small> : null}
                <p>
                  <Snippet text={result.snippet} />
                </p>
              </li>
            ))}
          </ol>
        </>
      )}
    </article>
  </WikiShell>
);
