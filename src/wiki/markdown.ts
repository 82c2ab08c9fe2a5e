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

/**
 * Rewrites wiki links (outside code, see links.ts) as ordinary Markdown links to `pageUrl(target)`,
 * then renders; with `attachmentUrl`, images named by a bare file name show the page's attachment.
 */
export function renderMarkdown(markdown: string, pageUrl: (path: string) => string, attachmentUrl?: (name: string) => string): string {
  let linked = '';
  let copied = 0;
  for (const link of findWikiLinks(markdown)) {
    const text = (link.label ?? link.target).replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
    linked += `${markdown.slice(copied, link.index)}[${text}](<${pageUrl(link.target)}>)`;
    copied = link.index + link.text.length;
  }
  linked += markdown.slice(copied);
  const html = micromark(linked, { extensions: [gfm()], htmlExtensions: [gfmHtml()] });
  return attachmentUrl ? attachedImages(html, attachmentUrl) : html;
}
