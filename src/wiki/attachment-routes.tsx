// The web view's attachments: `{base}/attachments/{page path}/{file name}` serves a file (`?revision=N`
// an older one), a POST to `{base}/attachments/{page path}` uploads one (multipart), and `panel`
// renders the list and the upload form under a page. Reading follows the pages' read rule; uploading
// needs a role that may edit, the session's CSRF token and a post from the wiki's own origin.
//
// An uploaded file must never script the site it is served from (issue 12): every file goes out with
// `X-Content-Type-Options: nosniff` and a CSP sandbox with nothing allowed, and only the raster image
// types sniffed at upload are shown inline; everything else (HTML and SVG included) is a download of
// `application/octet-stream`.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/config.ts';
import { AppError, forbidden } from '../errors/app-error.ts';
import { textProblem } from '../http/input-text.ts';
import { isFromOrigin } from '../http/same-origin.ts';
import { utcMinute as when } from '../http/time.ts';
import { isSessionCsrf, sessionCsrf } from '../session/csrf.ts';
import type { SessionService } from '../session/sessions.ts';
import type { Wiki } from '../store/wikis.ts';
import { scopesOf, WRITE_SCOPE, type Role } from './access.ts';
import { sizeText, type WikiAttachments } from './attachments.ts';
import { PageAttachments } from './attachment-view.tsx';
import { WikiError } from './pages.ts';
import { wikiUrls } from './urls.ts';

/** The wiki and the reader's role, or the refusal the web view gives (web-view.tsx, `readable`). */
export type ReadableWiki = (c: Context) => Promise<{ wiki: Wiki; role: Role | undefined } | Response>;

export interface AttachmentViewDeps {
  config: Config;
  sessions: Pick<SessionService, 'current'>;
  attachments: WikiAttachments;
  now: () => number;
}

/** Sniffed types a browser may show inline: raster images, which cannot carry script. Never SVG. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);
/** Nothing may run, load or submit, even when a file is opened directly (CSP3 `sandbox`). */
const FILE_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'";
/** Room for the multipart framing and the form's small fields around the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const noSuchFile = () => new AppError('not_found', 404, 'There is no such file in this wiki.', 'Not found');

/** RFC 6266 §4.3: an ASCII `filename` for old clients and the exact name as RFC 8187 `filename*`. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** A pull stream over the stored chunks: one chunk in memory at a time, read as the client takes them. */
function streamOf(chunks: AsyncIterable<Buffer>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** What went wrong with a browser upload; the page shows the sentence beside the file field. */
type UploadProblem = 'file_too_large' | 'wiki_full' | 'no_file' | 'bad_name' | 'bad_note' | 'conflict';

export function attachmentViews(deps: AttachmentViewDeps, readable: ReadableWiki) {
  const { config, sessions, attachments, now } = deps;
  const maxSize = sizeText(attachments.limits.attachmentBytes);
  const problems: Record<UploadProblem, string> = {
    file_too_large: `That file is too large: an attachment is at most ${maxSize}. Nothing was saved.`,
    wiki_full: 'The wiki has no room for that file: it would pass the wiki’s size limit. Nothing was saved.',
    no_file: 'Choose a file to upload.',
    bad_name: 'That file name cannot be used: rename the file (no "/" or "\\", no control characters, at most 200 characters).',
    bad_note: 'The note must be plain text of at most 500 characters.',
    conflict: 'Someone changed that file at the same moment. Nothing was saved: try again.',
  };

  const base = (wiki: Wiki) => wikiUrls(config, wiki.slug).base;
  const fileUrl = (wiki: Wiki, path: string) => (name: string) => `${base(wiki)}/attachments/${encodePath(path)}/${encodeURIComponent(name)}`;
  const pageUrl = (wiki: Wiki, path: string) => `${base(wiki)}/pages/${encodePath(path)}`;
  const mayEdit = (role: Role | undefined) => scopesOf(role).includes(WRITE_SCOPE);

  /** The decoded segments after `{base}/attachments/`. */
  function segmentsOf(c: Context, wiki: Wiki): string[] {
    const prefix = `${new URL(base(wiki)).pathname.replace(/\/$/, '')}/attachments/`;
    const raw = new URL(c.req.url).pathname;
    if (!raw.startsWith(prefix)) throw noSuchFile();
    try {
      return raw.slice(prefix.length).split('/').map(decodeURIComponent);
    } catch {
      throw noSuchFile();
    }
  }

  const routes = new Hono();

  routes.get('/attachments/*', async (c) => {
    const access = await readable(c);
    if (access instanceof Response) return access;
    const segments = segmentsOf(c, access.wiki);
    const name = segments.pop() ?? '';
    const revisionParam = c.req.query('revision');
    const revision = revisionParam === undefined ? undefined : Number(revisionParam);
    if (revision !== undefined && !(Number.isInteger(revision) && revision > 0)) throw noSuchFile();
    let file: Awaited<ReturnType<WikiAttachments['open']>>;
    try {
      file = await attachments.open(access.wiki.id, segments.join('/'), name, revision);
    } catch (error) {
      if (error instanceof WikiError) throw noSuchFile();
      throw error;
    }
    const inline = INLINE_TYPES.has(file.info.type);
    return new Response(streamOf(file.chunks()), {
      headers: {
        'Content-Type': inline ? file.info.type : 'application/octet-stream',
        'Content-Length': String(file.info.size),
        'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', file.info.name),
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': FILE_CSP,
        // Private wikis: the file is the reader's, never a shared cache's; revisions change what a URL names.
        'Cache-Control': 'private, no-cache',
      },
    });
  });

  routes.post(
    '/attachments/*',
    bodyLimit({
      maxSize: attachments.limits.attachmentBytes + FORM_OVERHEAD_BYTES,
      onError: () => {
        throw new AppError('payload_too_large', 413, `That file is too large: an attachment is at most ${maxSize}.`, 'Too large');
      },
    }),
    async (c) => {
      const access = await readable(c);
      if (access instanceof Response) return access;
      const { wiki, role } = access;
      if (!isFromOrigin(c, new URL(base(wiki)).origin)) throw forbidden('This upload did not come from this wiki’s page, so it was refused.');
      const session = await sessions.current(c, now());
      if (!session || !mayEdit(role)) throw forbidden('Only members who may edit this wiki can attach files.');
      const path = segmentsOf(c, wiki).join('/');
      const back = (query: Record<string, string>) => c.redirect(`${pageUrl(wiki, path)}?${new URLSearchParams(query)}#attachments`, 303);
      const form = await c.req.parseBody();
      if (typeof form.csrf !== 'string' || !isSessionCsrf(session.sid, form.csrf)) throw forbidden('This form expired. Reload the page and try again.');
      const file = form.file;
      if (!(file instanceof File) || file.size === 0) return back({ attachment_error: 'no_file' });
      const message = typeof form.message === 'string' ? form.message : undefined;
      if (message !== undefined && (textProblem(message, 'multiline') || message.length > 500)) return back({ attachment_error: 'bad_note' });
      if (file.size > attachments.limits.attachmentBytes) return back({ attachment_error: 'file_too_large' });
      try {
        const info = await attachments.upload(wiki.id, session.sub, { path, filename: file.name, size: file.size, bytes: file.stream(), message });
        return back({ attached: info.name, attached_revision: String(info.revision) });
      } catch (error) {
        if (!(error instanceof WikiError)) throw error;
        if (error.code === 'not_found' || error.code === 'invalid_path')
          throw new AppError('not_found', 404, 'There is no such page in this wiki.', 'Not found');
        const problem: UploadProblem = error.code === 'too_large' ? 'wiki_full' : error.code === 'conflict' ? 'conflict' : 'bad_name';
        return back({ attachment_error: problem });
      }
    },
  );

  /** The attachments section under the current page, or nothing when the page has no files and the reader may not add any. */
  async function panel(c: Context, wiki: Wiki, role: Role | undefined, path: string) {
    const files = await attachments.list(wiki.id, path);
    const session = mayEdit(role) ? await sessions.current(c, now()) : undefined;
    if (files.length === 0 && !session) return null;
    // The confirmation after an upload's redirect names only a file that is here at that revision.
    const attached = files.find((file) => file.name === c.req.query('attached') && String(file.revision) === c.req.query('attached_revision'));
    const error = c.req.query('attachment_error');
    const link = fileUrl(wiki, path);
    return (
      <PageAttachments
        files={files.map((file) => ({
          name: file.name,
          url: link(file.name),
          details: `${sizeText(file.size)} · ${file.type} · revision ${file.revision}, ${when(file.updatedAt)}`,
        }))}
        confirmation={attached ? `Uploaded ${attached.name} (revision ${attached.revision}).` : undefined}
        upload={
          session
            ? {
                action: `${base(wiki)}/attachments/${encodePath(path)}`,
                csrf: sessionCsrf(session.sid),
                maxSize,
                error: error && error in problems ? problems[error as UploadProblem] : undefined,
              }
            : undefined
        }
      />
    );
  }

  return { routes, panel, imageUrl: fileUrl };
}
