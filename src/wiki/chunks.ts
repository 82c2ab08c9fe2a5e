// A page's Markdown → section-aware chunks for semantic search. Each ATX heading (CommonMark §4.2)
// outside fenced code (§4.5) opens a section; a chunk carries the path of headings above it, outermost
// first, so a result can say where in the page it was found. A long section is cut at paragraph ends,
// or failing that at whitespace, into chunks of at most MAX_CHUNK_CHARS.

export interface Chunk {
  headingPath: string[];
  /** The section's text without its heading line. */
  text: string;
}

export const MAX_CHUNK_CHARS = 1200;

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Splits `text` at blank lines, then at whitespace, into pieces of at most `max` characters. */
function pieces(text: string, max: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const paragraph of text.split(/\n[ \t]*\n/)) {
    const joined = current ? `${current}\n\n${paragraph}` : paragraph;
    if (joined.length <= max) {
      current = joined;
      continue;
    }
    if (current) out.push(current);
    current = paragraph;
    while (current.length > max) {
      const cut = current.lastIndexOf(' ', max);
      const at = cut > max / 2 ? cut : max;
      out.push(current.slice(0, at));
      current = current.slice(at).trimStart();
    }
  }
  if (current) out.push(current);
  return out;
}

/** The page's chunks in page order; a heading with no text of its own (only subsections) makes none. */
export function chunkMarkdown(markdown: string, max = MAX_CHUNK_CHARS): Chunk[] {
  const sections: { headingPath: string[]; lines: string[] }[] = [{ headingPath: [], lines: [] }];
  const headings: { level: number; title: string }[] = [];
  let fence: string | undefined;
  for (const line of markdown.split(/\r\n?|\n/)) {
    const opening = FENCE.exec(line)?.[1];
    if (fence !== undefined) {
      // A fence closes with at least as many of the same character (CommonMark §4.5).
      if (opening && opening[0] === fence[0] && opening.length >= fence.length && line.trim() === opening) fence = undefined;
    } else if (opening) {
      fence = opening;
    } else {
      const heading = ATX_HEADING.exec(line);
      if (heading) {
        const level = heading[1]!.length;
        while (headings.length > 0 && headings.at(-1)!.level >= level) headings.pop();
        headings.push({ level, title: (heading[2] ?? '').trim() });
        sections.push({ headingPath: headings.map((h) => h.title).filter(Boolean), lines: [] });
        continue;
      }
    }
    sections.at(-1)!.lines.push(line);
  }
  return sections.flatMap(({ headingPath, lines }) => {
    const text = lines.join('\n').trim();
    if (!text) return [];
    return pieces(text, max).map((piece) => ({ headingPath, text: piece.trim() }));
  });
}
