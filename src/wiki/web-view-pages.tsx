// The read-only web view of a wiki: its pages, one page rendered, one page's history.
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import { Layout, Table } from '../http/pages.tsx';

export interface ChangeView {
  path: string;
  url: string;
  revision: number;
  action: string;
  author: string;
  message: string | null;
  at: string;
}

interface WikiFrame {
  wikiName: string;
  wikiUrl: string;
  /** What the wiki is for, in its owner's words ('' when none). */
  wikiDescription: string;
  /** The platform's origin (the header bar's links work from wiki hosts too). */
  platform: string;
  /** The wiki's settings on the dashboard, for its members. */
  settingsUrl: string | undefined;
}

const WikiHeader: FC<WikiFrame & { subtitle?: string }> = (props) => (
  <hgroup>
    <h1>
      <a href={props.wikiUrl}>{props.wikiName}</a>
    </h1>
    {props.subtitle ? <p>{props.subtitle}</p> : null}
    {props.wikiDescription ? <p class="wiki-description">{props.wikiDescription}</p> : null}
  </hgroup>
);

export const WikiIndexPage: FC<WikiFrame & { pages: { path: string; url: string; updated: string }[]; changes: ChangeView[] }> = (props) => (
  <Layout title={props.wikiName} wide platform={props.platform}>
    <article>
      <WikiHeader {...props} subtitle={props.settingsUrl ? undefined : 'Read-only view'} />
      {props.settingsUrl ? (
        <p>
          <a href={props.settingsUrl}>Settings and connection instructions</a>
        </p>
      ) : null}
      <h2>Pages</h2>
      {props.pages.length === 0 ? (
        <p>No pages yet. Ask your assistant to write one.</p>
      ) : (
        <ul>
          {props.pages.map((page) => (
            <li>
              <a href={page.url}>{page.path}</a> <small>{page.updated}</small>
            </li>
          ))}
        </ul>
      )}
      <h2>Recent changes</h2>
      <ChangeTable changes={props.changes} />
    </article>
  </Layout>
);

const ChangeTable: FC<{ changes: ChangeView[] }> = ({ changes }) =>
  changes.length === 0 ? (
    <p>Nothing has changed yet.</p>
  ) : (
    <Table
      headings={['Page', 'Revision', 'Change', 'By', 'When']}
      rows={changes.map((change): Child[] => [
        <a href={change.url}>{change.path}</a>,
        String(change.revision),
        `${change.action}${change.message ? ` — ${change.message}` : ''}`,
        <code>{change.author}</code>,
        change.at,
      ])}
    />
  );

export const WikiPageView: FC<
  WikiFrame & {
    path: string;
    revision: number;
    current: boolean;
    updated: string;
    author: string;
    html: string;
    historyUrl: string;
    currentUrl: string;
    /** The page's files (src/wiki/attachment-view.tsx). */
    attachments?: Child;
  }
> = (props) => (
  <Layout title={`${props.path} · ${props.wikiName}`} wide platform={props.platform}>
    <article>
      <WikiHeader {...props} />
      <nav aria-label="breadcrumb">
        <ul>
          {props.path.split('/').map((segment) => (
            <li>{segment}</li>
          ))}
        </ul>
      </nav>
      <p>
        <small>
          Revision {props.revision}, {props.updated} by <code>{props.author}</code> · <a href={props.historyUrl}>history</a>
          {props.current ? '' : ' · '}
          {props.current ? null : <a href={props.currentUrl}>current version</a>}
        </small>
      </p>
      {props.current ? null : (
        <p role="note" class="alert">
          This is an old revision of the page.
        </p>
      )}
      <div class="wiki-page">{raw(props.html)}</div>
      {props.attachments}
    </article>
  </Layout>
);

export const WikiHistoryPage: FC<WikiFrame & { path: string; changes: ChangeView[] }> = (props) => (
  <Layout title={`History of ${props.path} · ${props.wikiName}`} wide platform={props.platform}>
    <article>
      <WikiHeader {...props} subtitle={`History of ${props.path}`} />
      <ChangeTable changes={props.changes} />
    </article>
  </Layout>
);
