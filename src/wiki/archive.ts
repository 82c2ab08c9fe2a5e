// A wiki as a zip: its current pages as Markdown files, its attachments (when the platform stores
// them), and a JSON manifest of every revision. Import reads such a zip, or any zip of Markdown
// files, into a new wiki; it checks the whole archive before it makes anything, and removes the new
// wiki again if a write fails, so a bad archive leaves nothing behind.
import { z } from 'zod';
import type { PageLimits } from '../config/config.ts';
import { textProblem } from '../http/input-text.ts';
import type { Wiki, WikiStore } from '../store/wikis.ts';
import { createWiki } from './manage.ts';
import { WikiError, type WikiPages } from './pages.ts';
import { normalizePagePath, PagePathError } from './paths.ts';

export const ARCHIVE_FORMAT = 'robot.wtf/wiki-archive';
export const ARCHIVE_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
const PAGES_DIR = 'pages/';
const ATTACHMENTS_DIR = 'attachments/';
const MARKDOWN = /\.md$/i;
/** More pages than a wiki within its size limit can hold in practice; listing stops here. */
const MAX_PAGES = 100_000;
const IMPORT_MESSAGE = 'Imported from an archive';

export interface ArchivedAttachment {
  page: string;
  filename: string;
  content: Uint8Array;
}

/** Attachments, which another module stores (./attachment-archive.ts): export asks it for a wiki's files, import hands each one back. */
export interface AttachmentArchive {
  list(wikiId: string): Promise<ArchivedAttachment[]>;
  restore(wikiId: string, author: string, attachment: ArchivedAttachment): Promise<void>;
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: typeof ARCHIVE_VERSION;
  wiki: { slug: string; displayName: string };
  exportedAt: number;
  pages: { path: string; file: string; revision: number; updatedAt: number; updatedBy: string }[];
  /** Every revision of every page, oldest first; the text of current pages is in their files. */
  revisions: { path: string; revision: number; action: string; author: string; message: string | null; createdAt: number }[];
  attachments: { page: string; filename: string; file: string }[];
}

/** What import reads of a manifest (revisions and times are kept for the record, not replayed). */
const ImportedManifest = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.literal(ARCHIVE_VERSION),
  wiki: z.object({ displayName: z.string().optional() }).optional(),
  pages: z.array(z.object({ path: z.string(), file: z.string() })),
  attachments: z.array(z.object({ page: z.string(), filename: z.string(), file: z.string() })).default([]),
});

/** What an archive holds, checked: normalised unique paths, UTF-8 text, within the wiki's limits. */
export interface ArchiveContents {
  displayName?: string;
  pages: { path: string; content: string }[];
  attachments: ArchivedAttachment[];
  /** Files that are neither pages nor attachments, named so the importer can tell what was left out. */
  skipped: string[];
}

const pageFile = (path: string) => `${PAGES_DIR}${path}.md`;

export async function exportWiki(deps: { pages: WikiPages; attachments: AttachmentArchive }, wiki: Wiki, now: number): Promise<Uint8Array> {
  const { zipSync, strToU8 } = await import('fflate');
  const files: Record<string, Uint8Array> = {};
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    wiki: { slug: wiki.slug, displayName: wiki.display_name },
    exportedAt: now,
    pages: [],
    revisions: [],
    attachments: [],
  };
  for (const summary of (await deps.pages.list(wiki.id, { limit: MAX_PAGES })).items) {
    const page = await deps.pages.read(wiki.id, summary.path);
    files[pageFile(page.path)] = strToU8(page.content);
    manifest.pages.push({ path: page.path, file: pageFile(page.path), revision: page.revision, updatedAt: page.updatedAt, updatedBy: page.updatedBy });
  }
  manifest.revisions = (await deps.pages.recentChanges(wiki.id, Number.MAX_SAFE_INTEGER)).items.reverse().map((r) => ({
    path: r.path,
    revision: r.revision,
    action: r.action,
    author: r.author_did,
    message: r.message,
    createdAt: r.created_at,
  }));
  for (const attachment of await deps.attachments.list(wiki.id)) {
    const file = `${ATTACHMENTS_DIR}${attachment.page}/${attachment.filename}`;
    files[file] = attachment.content;
    manifest.attachments.push({ page: attachment.page, filename: attachment.filename, file });
  }
  files[MANIFEST_FILE] = strToU8(`${JSON.stringify(manifest, null, 2)}\n`);
  return zipSync(files, { level: 6 });
}

const invalid = (message: string) => new WikiError('invalid_input', message);

/** Reads and checks an archive; `limits` bound the unpacked size before anything is decompressed. */
export async function readArchive(bytes: Uint8Array, limits: PageLimits & { attachmentBytes: number }): Promise<ArchiveContents> {
  const { unzipSync } = await import('fflate');
  // A wiki's pages and attachments together fit in its limit; as much again leaves room for the manifest's history.
  const maxUnpacked = limits.wikiBytes * 2;
  let unpacked = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      // Zip bombs: the declared sizes are summed before anything is inflated.
      filter: (file) => {
        unpacked += file.originalSize;
        if (unpacked > maxUnpacked) throw invalid(`The archive unpacks to more than this wiki may hold (${Math.round(maxUnpacked / 1024)} KiB).`);
        return !file.name.endsWith('/');
      },
    });
  } catch (error) {
    if (error instanceof WikiError) throw error;
    throw invalid('This is not a zip archive that can be read.');
  }
  const contents = MANIFEST_FILE in files ? fromManifest(files) : fromMarkdownFiles(files);
  checkLimits(contents, limits);
  return contents;
}

function text(name: string, bytes: Uint8Array | undefined): string {
  if (!bytes) throw invalid(`The manifest names "${name}", which is not in the archive.`);
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalid(`"${name}" is not UTF-8 text.`);
  }
  // The platform's text rule (catalogue IN-06): PostgreSQL would refuse a NUL half-way through an import.
  const problem = textProblem(decoded, 'multiline');
  if (problem) throw invalid(`"${name}" ${problem}.`);
  return decoded;
}

function pathOf(name: string, raw: string): string {
  try {
    return normalizePagePath(raw);
  } catch (error) {
    if (error instanceof PagePathError) throw invalid(`"${name}" cannot be a page: ${error.message}`);
    throw error;
  }
}

function fromManifest(files: Record<string, Uint8Array>): ArchiveContents {
  let json: unknown;
  try {
    json = JSON.parse(text(MANIFEST_FILE, files[MANIFEST_FILE]));
  } catch (error) {
    if (error instanceof WikiError) throw error;
    throw invalid(`${MANIFEST_FILE} is not valid JSON.`);
  }
  const parsed = ImportedManifest.safeParse(json);
  if (!parsed.success) throw invalid(`${MANIFEST_FILE} is not a ${ARCHIVE_FORMAT} version ${ARCHIVE_VERSION} manifest.`);
  const manifest = parsed.data;
  const pages = manifest.pages.map((entry) => ({ path: pathOf(entry.file, entry.path), content: text(entry.file, files[entry.file]) }));
  const attachments = manifest.attachments.map((entry) => {
    const content = files[entry.file];
    if (!content) throw invalid(`The manifest names "${entry.file}", which is not in the archive.`);
    return { page: pathOf(entry.file, entry.page), filename: entry.filename, content };
  });
  const known = new Set([MANIFEST_FILE, ...manifest.pages.map((entry) => entry.file), ...manifest.attachments.map((entry) => entry.file)]);
  const skipped = Object.keys(files).filter((name) => !known.has(name));
  return { displayName: manifest.wiki?.displayName, pages: unique(pages), attachments, skipped };
}

/** A zip of Markdown files: each `.md` file is a page at its path, without one folder that holds them all. */
function fromMarkdownFiles(files: Record<string, Uint8Array>): ArchiveContents {
  const names = Object.keys(files);
  const tops = new Set(names.map((name) => (name.includes('/') ? name.slice(0, name.indexOf('/') + 1) : '')));
  const common = tops.size === 1 ? [...tops][0]! : '';
  const pages = names
    .filter((name) => MARKDOWN.test(name))
    .map((name) => ({ path: pathOf(name, name.slice(common.length).replace(MARKDOWN, '')), content: text(name, files[name]) }));
  return { pages: unique(pages), attachments: [], skipped: names.filter((name) => !MARKDOWN.test(name)) };
}

function unique(pages: ArchiveContents['pages']): ArchiveContents['pages'] {
  const seen = new Set<string>();
  for (const page of pages) {
    if (seen.has(page.path)) throw invalid(`Two files in the archive are the page "${page.path}".`);
    seen.add(page.path);
  }
  return pages;
}

function checkLimits(contents: ArchiveContents, limits: PageLimits): void {
  let total = 0;
  for (const page of contents.pages) {
    const bytes = Buffer.byteLength(page.content, 'utf8');
    if (bytes > limits.pageBytes) throw new WikiError('too_large', `"${page.path}" is larger than a page may be (${Math.round(limits.pageBytes / 1024)} KiB).`);
    total += bytes;
  }
  if (total > limits.wikiBytes)
    throw new WikiError('too_large', `The pages together are larger than a wiki may hold (${Math.round(limits.wikiBytes / 1024)} KiB).`);
  if (contents.pages.length === 0) throw invalid('The archive holds no Markdown pages.');
}

export interface ImportDeps {
  wikis: Pick<WikiStore, 'create' | 'delete'>;
  pages: WikiPages;
  attachments: AttachmentArchive;
}

/** Makes a new wiki owned by `ownerDid` from checked archive contents; all or nothing. */
export async function importWiki(deps: ImportDeps, ownerDid: string, slug: string, contents: ArchiveContents, now: number): Promise<Wiki> {
  const wiki = await createWiki(deps.wikis, ownerDid, slug, contents.displayName ?? slug, now);
  try {
    for (const page of contents.pages) await deps.pages.write(wiki.id, ownerDid, { path: page.path, content: page.content, message: IMPORT_MESSAGE });
    for (const attachment of contents.attachments) await deps.attachments.restore(wiki.id, ownerDid, attachment);
  } catch (error) {
    await deps.wikis.delete(wiki.id);
    throw error;
  }
  return wiki;
}
