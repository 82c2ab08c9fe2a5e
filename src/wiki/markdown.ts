// Page Markdown → HTML for the web view. micromark is CommonMark-exact and safe by default: raw HTML
// is shown as text and `javascript:`-style link targets are dropped, so a page can never run script.
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { normalizePagePath, PagePathError, WIKI_LINK } from './paths.ts';

/** Rewrites wiki links as ordinary Markdown links to `pageUrl(target)`, then renders. */
export function renderMarkdown(markdown: string, pageUrl: (path: string) => string): string {
  const linked = markdown.replace(WIKI_LINK, (whole, target: string, _section: string | undefined, label: string | undefined) => {
    let path: string;
    try {
      path = normalizePagePath(target);
    } catch (error) {
      if (error instanceof PagePathError) return whole;
      throw error;
    }
    const text = (label ?? path).replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
    return `[${text}](<${pageUrl(path)}>)`;
  });
  return micromark(linked, { extensions: [gfm()], htmlExtensions: [gfmHtml()] });
}
