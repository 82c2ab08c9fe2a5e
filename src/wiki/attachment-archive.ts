// Attachments in a wiki archive (./archive.ts): every current file of every current page on export,
// each uploaded again on import, so its size and the wiki's limit are checked like any upload.
import type { AttachmentArchive, ArchivedAttachment } from './archive.ts';
import type { WikiAttachments } from './attachments.ts';
import type { WikiPages } from './pages.ts';

/** At most this many pages are asked for their files (as many as an archive may hold). */
const MAX_PAGES = 100_000;

export function attachmentArchive(pages: WikiPages, attachments: WikiAttachments): AttachmentArchive {
  return {
    async list(wikiId) {
      const found: ArchivedAttachment[] = [];
      for (const { path } of (await pages.list(wikiId, { limit: MAX_PAGES })).items) {
        for (const { name } of await attachments.list(wikiId, path)) {
          const parts: Buffer[] = [];
          for await (const chunk of (await attachments.open(wikiId, path, name)).chunks()) parts.push(chunk);
          found.push({ page: path, filename: name, content: Buffer.concat(parts) });
        }
      }
      return found;
    },
    async restore(wikiId, author, { page, filename, content }) {
      await attachments.upload(wikiId, author, { path: page, filename, size: content.byteLength, bytes: [content] });
    },
  };
}
