// Page Markdown → HTML for the web view. micromark is CommonMark-exact and safe by default: raw HTML
// is shown as text and `javascript:`-style link targets are dropped, so a page can never run script.
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { findWikiLinks } from './links.ts';

/**
 * An image source that is a bare file name (`![](diagram.png)`: no scheme, no `/`, no query or
 * fragment) names a file attached to the page. micromark writes every source percent-encoded and
 * escaped, so in its output `<img src="…"` only ever starts an image it made, never page text.
 */
function attachedImages(html: string, attachmentUrl: (name: string) => string): string {
  return html.replace(/<img src="([^"/?#:]+)"/g, (tag, source: string) => {
    try {
      const name = decodeURIComponent(source.replace(/&amp;/g, '&'));
      return name.startsWith('.') ? tag : `<img src="${attachmentUrl(name).replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"`;
    } catch {
      return tag;
    }
  });
}

/** Put on the URL of a link to a missing page, then turned into a class once micromark has rendered. */
const MISSING_MARK = '#missing-page';
const MARKED_LINK = new RegExp(`<a href="([^"]*)${MISSING_MARK}">`, 'g');

export interface RenderOptions {
  /** Whether a page exists; links to those that do not get the class `missing-page` (red links). */
  exists?: (path: string) => boolean;
  /** With it, images named by a bare file name show the page's attachment of that name. */
  attachmentUrl?: (name: string) => string;
}

/** Rewrites wiki links (outside code, see links.ts) as ordinary Markdown links to `pageUrl(target)`, then renders. */
export function renderMarkdown(markdown: string, pageUrl: (path: string) => string, { exists = () => true, attachmentUrl }: RenderOptions = {}): string {
  let linked = '';
  let copied = 0;
  for (const link of findWikiLinks(markdown)) {
    const text = (link.label ?? link.target).replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
    const url = exists(link.target) ? pageUrl(link.target) : `${pageUrl(link.target)}${MISSING_MARK}`;
    linked += `${markdown.slice(copied, link.index)}[${text}](<${url}>)`;
    copied = link.index + link.text.length;
  }
  linked += markdown.slice(copied);
  const html = micromark(linked, { extensions: [gfm()], htmlExtensions: [gfmHtml()] }).replace(
    MARKED_LINK,
    '<a href="$1" class="missing-page" title="This page does not exist yet">',
  );
  return attachmentUrl ? attachedImages(html, attachmentUrl) : html;
}
