// Page Markdown → HTML for the web view. micromark is CommonMark-exact and safe by default: raw HTML
// is shown as text and `javascript:`-style link targets are dropped, so a page can never run script.
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { findWikiLinks } from './links.ts';

/** Rewrites wiki links (outside code, see links.ts) as ordinary Markdown links to `pageUrl(target)`, then renders. */
export function renderMarkdown(markdown: string, pageUrl: (path: string) => string): string {
  let linked = '';
  let copied = 0;
  for (const link of findWikiLinks(markdown)) {
    const text = (link.label ?? link.target).replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
    linked += `${markdown.slice(copied, link.index)}[${text}](<${pageUrl(link.target)}>)`;
    copied = link.index + link.text.length;
  }
  linked += markdown.slice(copied);
  return micromark(linked, { extensions: [gfm()], htmlExtensions: [gfmHtml()] });
}
