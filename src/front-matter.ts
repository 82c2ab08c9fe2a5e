// The tags and categories a page declares in YAML front matter (a `---` block at the very top, as
// Jekyll, Hugo and Obsidian write it), parsed with the `yaml` package. The wiki indexes them per page
// (page_labels) when the page is written, so `list_notes` filters by an index instead of parsing
// every page; the migration that introduced the index read existing pages with the same rules.

export interface PageLabels {
  tags: string[];
  categories: string[];
}

/** YAML 1.2 §9.1.2: a document ends at `...`; front matter also ends at a second `---`. */
const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;
const MAX_LABELS = 50;
const MAX_LABEL_LENGTH = 100;

/** `[a, b]`, `a, b` or `a`: one label per item, `#` and case dropped, so `#Garden` is `garden`. */
function labelsOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : value == null ? [] : [value];
  const labels = items
    .filter((item) => typeof item === 'string' || typeof item === 'number')
    .map((item) => String(item).trim().replace(/^#/, '').trim().toLowerCase())
    .filter((label) => label !== '' && label.length <= MAX_LABEL_LENGTH);
  return [...new Set(labels)].slice(0, MAX_LABELS);
}

/** How many characters of the page its front matter takes (0 when it has none). */
export function frontMatterLength(markdown: string): number {
  return FRONT_MATTER.exec(markdown)?.[0].length ?? 0;
}

/** The page's tags and categories; none when it has no front matter or the YAML does not parse. */
export async function frontMatterLabels(markdown: string): Promise<PageLabels> {
  const block = FRONT_MATTER.exec(markdown);
  if (!block) return { tags: [], categories: [] };
  // Loaded on first use: most pages have no front matter, and an idle server needs no YAML parser.
  const { parse } = await import('yaml');
  let data: unknown;
  try {
    data = parse(block[1]!, { maxAliasCount: 10 });
  } catch {
    // Front matter is the author's text; a YAML mistake in it leaves the page unlabelled, not unsaved.
    return { tags: [], categories: [] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { tags: [], categories: [] };
  const fields = data as Record<string, unknown>;
  return { tags: labelsOf(fields.tags ?? fields.tag), categories: labelsOf(fields.categories ?? fields.category) };
}
