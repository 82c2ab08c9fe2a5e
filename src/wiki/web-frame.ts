// What every wiki page in the browser shows besides its own content: the page tree, the notice of the
// last action (from the query its redirect carried), and page text rendered with red links.
import type { Context } from 'hono';
import { renderMarkdown } from './markdown.ts';
import type { WikiPages } from './pages.ts';
import type { Visit, WebUrls } from './web-context.ts';
import type { TreeNode, WikiFrame } from './web-view-pages.tsx';

const TREE_LIMIT = 1000;

/** The page tree: one node per path segment, pages and folders side by side, in path order. */
export function pageTree(paths: string[]): TreeNode[] {
  const root: TreeNode[] = [];
  for (const path of paths) {
    let level = root;
    const segments = path.split('/');
    segments.forEach((name, index) => {
      const at = segments.slice(0, index + 1).join('/');
      let node = level.find((candidate) => candidate.name === name);
      if (!node) {
        node = { name, path: at, page: false, children: [] };
        level.push(node);
      }
      if (index === segments.length - 1) node.page = true;
      level = node.children;
    });
  }
  return root;
}

/** What the last action did, from the query its redirect carried (fixed sentences; values escaped on output). */
export function noticeOf(c: Context): WikiFrame['notice'] {
  const revision = Number(c.req.query('revision'));
  switch (c.req.query('notice')) {
    case 'saved':
      return { text: `Saved revision ${revision}.` };
    case 'created':
      return { text: `Created the page (revision ${revision}).` };
    case 'restored':
      return { text: `Restored revision ${c.req.query('from')} as the new revision ${revision}.` };
    case 'renamed': {
      const changed = Number(c.req.query('links'));
      const links = Number.isInteger(changed) && changed > 0 ? ` Links updated in ${changed} ${changed === 1 ? 'page' : 'pages'}.` : '';
      return { text: `Renamed “${c.req.query('from')}” to this name (revision ${revision}).${links}` };
    }
    case 'deleted':
      return { text: `Deleted “${c.req.query('from')}”. Its history keeps every revision; open it to restore one.` };
    default:
      return undefined;
  }
}

/**
 * Renders page text for this wiki: wiki links point at its pages, links to missing ones are red, and
 * images named by a bare file name show the page's attachment (`attachmentUrl`).
 */
export const renderPage = (content: string, urls: WebUrls, existing: Set<string>, attachmentUrl?: (name: string) => string) =>
  renderMarkdown(content, urls.page, { exists: (path) => existing.has(path), attachmentUrl });

/** The frame and the set of existing pages, from one listing. */
export async function frameOf(pages: WikiPages, visit: Visit, c: Context): Promise<{ frame: WikiFrame; existing: Set<string> }> {
  const paths = (await pages.list(visit.wiki.id, { limit: TREE_LIMIT })).items.map((page) => page.path);
  return {
    frame: {
      wikiName: visit.wiki.display_name,
      wikiDescription: visit.wiki.description,
      urls: visit.urls,
      canEdit: visit.canEdit,
      member: visit.role !== undefined,
      loginUrl: visit.signedIn ? undefined : `${visit.urls.login}?${new URLSearchParams({ return_to: c.req.url })}`,
      tree: pageTree(paths),
      notice: noticeOf(c),
      csrf: visit.csrf,
    },
    existing: new Set(paths),
  };
}
