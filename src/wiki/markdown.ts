// Page Markdown → HTML for the web view. micromark is CommonMark-exact and safe by default: raw HTML
// is shown as text and `javascript:`-style link targets are dropped, so a page can never run script.
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { findWikiLinks } from './links.ts';

/** Put on the URL of a link to a missing page, then turned into a class once micromark has rendered. */
const MISSING_MARK = '#missing-page';
const MARKED_LINK = new RegExp(`<a href="([^"]*)${MISSING_MARK}">`, 'g');

/**
 * Rewrites wiki links (outside code, see links.ts) as ordinary Markdown links to `pageUrl(target)`,
 * then renders. Links to pages for which `exists` says no get the class `missing-page` (red links).
 */
export function renderMarkdown(markdown: string, pageUrl: (path: string) => string, exists: (path: string) => boolean = () => true): string {
  let linked = '';
  let copied = 0;
  for (const link of findWikiLinks(markdown)) {
    const text = (link.label ?? link.target).replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
    const url = exists(link.target) ? pageUrl(link.target) : `${pageUrl(link.target)}${MISSING_MARK}`;
    linked += `${markdown.slice(copied, link.index)}[${text}](<${url}>)`;
    copied = link.index + link.text.length;
  }
  linked += markdown.slice(copied);
  return micromark(linked, { extensions: [gfm()], htmlExtensions: [gfmHtml()] }).replace(
    MARKED_LINK,
    '<a href="$1" class="missing-page" title="This page does not exist yet">',
  );
}
