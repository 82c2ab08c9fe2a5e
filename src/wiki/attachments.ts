// What can be done with the files attached to a wiki's pages, with the rules and messages a person or
// an assistant can act on: file names, the size of one file and of the wiki, missing pages and files,
// deletions recoverable from history. The type is sniffed from the bytes (`file-type`), never taken
// from the name or the uploader, because the web view decides from it what may be shown inline.
import type { AttachmentRevision, AttachmentStore, Attachment } from '../store/attachments.ts';
import { AttachmentConflictError } from '../store/attachments.ts';
import type { BlobStore } from '../store/attachment-blobs.ts';
import type { PageStore } from '../store/pages.ts';
import { WikiFullError } from '../store/pages.ts';
import { textProblem } from '../http/input-text.ts';
import { lazily } from '../lazy.ts';
import { messageOf, pathOf, WikiError } from './pages.ts';

export const MAX_FILENAME_LENGTH = 200;
export const UNKNOWN_TYPE = 'application/octet-stream';

export interface AttachmentInfo {
  name: string;
  size: number;
  /** The sniffed media type, `application/octet-stream` when the bytes are not a known format. */
  type: string;
  revision: number;
  updatedAt: number;
  updatedBy: string;
}

export interface AttachmentContent {
  info: AttachmentInfo;
  /** The bytes in order, one stored chunk at a time. */
  chunks(): AsyncIterable<Buffer>;
}

export interface AttachmentLimits {
  /** One file (ATTACHMENT_MAX_BYTES). */
  attachmentBytes: number;
  /** The whole wiki, pages and attachments (WIKI_MAX_BYTES). */
  wikiBytes: number;
}

export interface WikiAttachments {
  readonly limits: AttachmentLimits;
  list(wikiId: string, path: string): Promise<AttachmentInfo[]>;
  /** `size` is the size announced (checked before anything is stored); the bytes are counted too. */
  upload(
    wikiId: string,
    author: string,
    input: { path: string; filename: string; size: number; bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>; message?: string },
  ): Promise<AttachmentInfo>;
  /** The current file, or an older revision of it (also of a deleted one). */
  open(wikiId: string, path: string, filename: string, revision?: number): Promise<AttachmentContent>;
  remove(wikiId: string, author: string, input: { path: string; filename: string; message?: string }): Promise<{ name: string; revision: number }>;
}

/** A size in words, for messages and the web view. */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  return bytes >= 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${bytes} bytes`;
}

/** A file name: one path segment, so it can never name another page's file or a directory. */
export function filenameOf(input: string): string {
  const name = input.trim();
  const problem = textProblem(name, 'line');
  if (problem) throw new WikiError('invalid_input', `The file name ${problem}.`);
  if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name))
    throw new WikiError('invalid_input', 'A file name is one name without "/" or "\\", and not "." or "..".');
  if (name.length > MAX_FILENAME_LENGTH) throw new WikiError('invalid_input', `A file name is at most ${MAX_FILENAME_LENGTH} characters long.`);
  return name;
}

// file-type and its parsers are loaded at the first upload, not at startup (idle memory budget).
const loadSniffer = lazily(async () => (await import('file-type')).fileTypeFromBuffer);

/** Passes the bytes through, refusing more than `max`; sniffs the type from the first piece. */
async function* measured(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  max: number,
  found: { type: string; size: number },
): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    if (found.size === 0 && piece.length > 0) found.type = (await (await loadSniffer())(piece))?.mime ?? UNKNOWN_TYPE;
    found.size += piece.length;
    if (found.size > max) throw tooLarge(found.size, max);
    yield piece;
  }
}

const tooLarge = (bytes: number, max: number) =>
  new WikiError('too_large', `The file is ${sizeText(bytes)}; an attachment is at most ${sizeText(max)}. Nothing was saved.`);

const infoOf = (row: Attachment | AttachmentRevision): AttachmentInfo => ({
  name: row.name,
  size: row.size,
  type: row.media_type,
  revision: row.revision,
  updatedAt: 'updated_at' in row ? row.updated_at : row.created_at,
  updatedBy: 'updated_by' in row ? row.updated_by : row.author_did,
});

export function wikiAttachments(
  pages: Pick<PageStore, 'find'>,
  store: AttachmentStore,
  blobs: BlobStore,
  limits: AttachmentLimits,
  now: () => number,
): WikiAttachments {
  async function pageId(wikiId: string, rawPath: string): Promise<string> {
    const path = pathOf(rawPath);
    const page = await pages.find(wikiId, path);
    if (!page) throw new WikiError('not_found', `There is no page "${path}"; attachments belong to a page. write_note creates it.`);
    return page.id;
  }

  const wikiFull = (used: number) =>
    new WikiError(
      'too_large',
      `This wiki holds ${sizeText(used)} of its ${sizeText(limits.wikiBytes)} limit, and the file would pass it. Nothing was saved: delete attachments or pages first.`,
    );

  /** Why a file is not there: never uploaded, or deleted (and which revision still has it). */
  async function missing(id: string, name: string, path: string): Promise<WikiError> {
    const last = await store.revision(id, name);
    if (last?.action === 'delete')
      return new WikiError(
        'not_found',
        `"${name}" on "${path}" was deleted (revision ${last.revision}). download_attachment with revision ${last.revision - 1} returns its last version; upload it again to restore it.`,
      );
    return new WikiError('not_found', `"${path}" has no attachment "${name}". list_attachments shows its files.`);
  }

  return {
    limits,

    async list(wikiId, path) {
      return (await store.list(await pageId(wikiId, path))).map(infoOf);
    },

    async upload(wikiId, author, { path, filename, size, bytes, message }) {
      const name = filenameOf(filename);
      const note = messageOf(message);
      if (size > limits.attachmentBytes) throw tooLarge(size, limits.attachmentBytes);
      const id = await pageId(wikiId, path);
      // Refused before any byte is stored when the announced size cannot fit; decided in the commit.
      const replaced = (await store.find(id, name))?.size ?? 0;
      const used = (await store.usedBytes(wikiId)) - replaced;
      if (used + size > limits.wikiBytes) throw wikiFull(used);
      const found = { type: UNKNOWN_TYPE, size: 0 };
      const blob = await blobs.put(measured(bytes, limits.attachmentBytes, found));
      try {
        const change = { wikiId, pageId: id, name, author, message: note, now: now(), wikiLimitBytes: limits.wikiBytes };
        return infoOf(await store.commit({ ...change, action: 'upload', size: blob.size, mediaType: found.type, blobKey: blob.key }));
      } catch (error) {
        await blobs.remove(blob.key);
        if (error instanceof WikiFullError) throw wikiFull(error.usedBytes);
        if (error instanceof AttachmentConflictError)
          throw new WikiError('conflict', `"${name}" was changed by someone else at the same time. Nothing was saved: list_attachments, then retry.`);
        throw error;
      }
    },

    async open(wikiId, rawPath, filename, revision) {
      const path = pathOf(rawPath);
      const name = filenameOf(filename);
      const id = await pageId(wikiId, path);
      const row = revision === undefined ? await store.find(id, name) : await store.revision(id, name, revision);
      if (!row)
        throw revision === undefined ? await missing(id, name, path) : new WikiError('not_found', `"${name}" on "${path}" has no revision ${revision}.`);
      if (row.blob_key === null)
        throw new WikiError('not_found', `Revision ${row.revision} of "${name}" is its deletion; revision ${row.revision - 1} is its last version.`);
      const key = row.blob_key;
      return { info: infoOf(row), chunks: () => blobs.read(key) };
    },

    async remove(wikiId, author, { path: rawPath, filename, message }) {
      const path = pathOf(rawPath);
      const name = filenameOf(filename);
      const note = messageOf(message);
      const id = await pageId(wikiId, path);
      const current = await store.find(id, name);
      if (!current) throw await missing(id, name, path);
      try {
        const recorded = await store.commit({
          wikiId,
          pageId: id,
          name,
          author,
          message: note,
          now: now(),
          wikiLimitBytes: limits.wikiBytes,
          action: 'delete',
          current,
        });
        return { name, revision: recorded.revision };
      } catch (error) {
        if (error instanceof AttachmentConflictError)
          throw new WikiError('conflict', `"${name}" was changed by someone else at the same time. Nothing was deleted: list_attachments, then retry.`);
        throw error;
      }
    },
  };
}
