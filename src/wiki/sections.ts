// A page's sections: each heading (CommonMark §4.2 ATX `#`, §4.3 setext underlines, as micromark
// reads them, so a `#` in code is no heading) with the text up to the next heading of the same or a
// higher level. A section is named by its heading path, "Parent > Child", as `read_note` takes it.
import { frontMatterLength } from '../front-matter.ts';
import { markdownEvents } from './links.ts';

export interface Section {
  /** Headings from the outermost down to this one, e.g. ["Setup", "Linux"]. */
  path: string[];
  /** The section's Markdown, its heading line included. */
  content: string;
}

interface Heading {
  level: number;
  title: string;
  start: number;
}

const SEPARATOR = ' > ';
const comparable = (title: string) => title.replace(/\s+/g, ' ').trim().toLowerCase();

function headings(markdown: string): Heading[] {
  // Front matter's closing `---` would read as a setext underline of its last line.
  const from = frontMatterLength(markdown);
  const found: Heading[] = [];
  let open: Heading | undefined;
  for (const [kind, token] of markdownEvents(markdown)) {
    if (token.start.offset < from) continue;
    if (kind === 'enter' && (token.type === 'atxHeading' || token.type === 'setextHeading')) open = { level: 0, title: '', start: token.start.offset };
    if (!open || kind !== 'enter') continue;
    const text = markdown.slice(token.start.offset, token.end.offset);
    if (token.type === 'atxHeadingSequence' && open.level === 0) open.level = text.length;
    if (token.type === 'setextHeadingLineSequence') open.level = text.startsWith('=') ? 1 : 2;
    if (token.type === 'atxHeadingText' || token.type === 'setextHeadingText') open.title = text.replace(/\s+/g, ' ').trim();
    if (open.level > 0 && open.title !== '' && !found.includes(open)) found.push(open);
  }
  return found;
}

/** Every section of the page, in document order. */
export function sectionsOf(markdown: string): Section[] {
  const all = headings(markdown);
  const trail: Heading[] = [];
  return all.map((heading, i) => {
    while (trail.length > 0 && trail[trail.length - 1]!.level >= heading.level) trail.pop();
    trail.push(heading);
    const end = all.slice(i + 1).find((next) => next.level <= heading.level)?.start ?? markdown.length;
    return { path: trail.map((h) => h.title), content: markdown.slice(heading.start, end).trimEnd() };
  });
}

export const sectionName = (section: Section) => section.path.join(SEPARATOR);

/**
 * The section named by `name` ("A > B", case and spacing ignored): the one whose full heading path it
 * is, else the only one whose path ends with it ("B" alone when only one heading is called B).
 */
export function findSection(sections: Section[], name: string): Section | undefined {
  const wanted = name.split('>').map(comparable);
  const ending = (section: Section) => {
    const tail = section.path.slice(-wanted.length).map(comparable);
    return tail.length === wanted.length && tail.every((title, i) => title === wanted[i]);
  };
  const exact = sections.find((section) => section.path.length === wanted.length && ending(section));
  if (exact) return exact;
  const endings = sections.filter(ending);
  return endings.length === 1 ? endings[0] : undefined;
}
