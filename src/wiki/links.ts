// Finding a page's `[[wiki links]]` where Markdown would read them: not inside code or raw HTML.
// micromark's own tokenizer decides what is code (CommonMark §4.4 indented code, §4.5 fenced code,
// §6.1 code spans) so indexing (page_links) and rendering agree with what the reader sees.
import { parse, postprocess, preprocess } from 'micromark';
import { gfm } from 'micromark-extension-gfm';
import { normalizePagePath, PagePathError, WIKI_LINK } from './paths.ts';

/** Regions whose text micromark shows verbatim (code) or as escaped text (raw HTML, see markdown.ts). */
const VERBATIM = new Set(['codeText', 'codeFenced', 'codeIndented', 'htmlFlow', 'htmlText']);

export interface WikiLink {
  /** The whole `[[…]]` as written, and where it starts in the page text. */
  text: string;
  index: number;
  /** The normalised target path. */
  target: string;
  /** `#Section` as written, or undefined. */
  section: string | undefined;
  label: string | undefined;
}

/** micromark's events for a page (GFM), which sections.ts and this module read. */
export function markdownEvents(markdown: string): ReturnType<typeof postprocess> {
  return postprocess(
    parse({ extensions: [gfm()] })
      .document()
      .write(preprocess()(markdown, undefined, true)),
  );
}

/** [start, end) offsets of the page's verbatim regions, in document order. */
function verbatimRegions(markdown: string): Array<[number, number]> {
  const events = markdownEvents(markdown);
  const regions: Array<[number, number]> = [];
  for (const [kind, token] of events) {
    // Verbatim constructs do not nest, so the outermost enter of each is enough.
    if (kind === 'enter' && VERBATIM.has(token.type)) regions.push([token.start.offset, token.end.offset]);
  }
  return regions;
}

/** Every valid wiki link that Markdown reads as text, in order; malformed targets are plain text. */
export function findWikiLinks(markdown: string): WikiLink[] {
  // Most pages have no `[[`: skip the parse for them.
  if (!markdown.includes('[[')) return [];
  const regions = verbatimRegions(markdown);
  const links: WikiLink[] = [];
  // Matches and regions both come in document order: one pass over each.
  let next = 0;
  for (const match of markdown.matchAll(WIKI_LINK)) {
    const start = match.index;
    const end = start + match[0].length;
    while (next < regions.length && regions[next]![1] <= start) next++;
    // A link that overlaps a verbatim region even partly (`[[a `b]]` c`) is not a link.
    if (next < regions.length && regions[next]![0] < end) continue;
    let target: string;
    try {
      target = normalizePagePath(match[1]!);
    } catch (error) {
      if (error instanceof PagePathError) continue;
      throw error;
    }
    links.push({ text: match[0], index: start, target, section: match[2], label: match[3] });
  }
  return links;
}

/** The distinct targets of a page's wiki links, in order of first appearance (indexed as page_links). */
export function wikiLinks(markdown: string): string[] {
  return [...new Set(findWikiLinks(markdown).map((link) => link.target))];
}

/**
 * The page's text with every wiki link to `from` pointing at `to` instead, its `#section` and
 * `|label` kept; links in code stay as written (catalogue WK-01). Undefined when no link changes.
 */
export function rewriteWikiLinks(markdown: string, from: string, to: string): string | undefined {
  const links = findWikiLinks(markdown).filter((link) => link.target === from);
  if (links.length === 0) return undefined;
  let rewritten = '';
  let copied = 0;
  for (const link of links) {
    const label = link.label === undefined ? '' : `|${link.label}`;
    rewritten += `${markdown.slice(copied, link.index)}[[${to}${link.section ?? ''}${label}]]`;
    copied = link.index + link.text.length;
  }
  return rewritten + markdown.slice(copied);
}
