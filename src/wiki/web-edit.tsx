// Changing a wiki in the browser: the editor (`/edit/{path}`, which also creates a page), its live
// preview (`POST /preview`), rename, delete and restoring an old revision, and the editor's script
// (`/assets/editor-{hash}.js`). Every POST passes WikiWeb.change (same origin, write role, form
// token) and answers with a redirect that says what happened, or the form again with the error beside
// the field. A save names the revision it started from; when someone saved since, the person sees
// both versions and their difference and chooses (never a silent overwrite).
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors/app-error.ts';
import { editorBundle } from './editor-bundle.ts';
import { textDiff } from './diff.ts';
import { WikiError } from './pages.ts';
import { pagePath, type Change, type Visit, type WikiViewDeps, type WikiWeb } from './web-context.ts';
import { DeletePage, EditorPage, RenamePage, type Conflict } from './web-edit-pages.tsx';
import { frameOf, renderPage } from './web-frame.ts';

/** A year: the script's name changes whenever its content does (RFC 8246 immutable). */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Optional integer revision field, or undefined; anything else is a bad request. */
function revisionField(form: Map<string, string>, name: string): number | undefined {
  const value = form.get(name);
  if (value === undefined) return undefined;
  const revision = Number(value);
  if (!Number.isInteger(revision) || revision < 1) throw new AppError('invalid_request', 400, `The field "${name}" must be a revision number.`, 'Bad request');
  return revision;
}

const withQuery = (url: string, query: Record<string, string | number>) =>
  `${url}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`;

export function wikiEditRoutes(deps: WikiViewDeps, web: WikiWeb): Hono {
  const { pages, config } = deps;
  const app = new Hono();
  // A form carries at most one page; percent-encoding can triple its UTF-8 bytes (IN-01: the cap is
  // checked before the body is read).
  app.on(
    'POST',
    '*',
    bodyLimit({
      maxSize: config.pageLimits.pageBytes * 3 + 16 * 1024,
      onError: () => {
        throw new AppError('payload_too_large', 413, 'That page is too large to save. Nothing was saved; your text is still in the editor.', 'Too large');
      },
    }),
  );

  app.get('/assets/:name', async (c) => {
    const bundle = await editorBundle();
    if (c.req.param('name') !== bundle.name) throw new AppError('not_found', 404, 'There is nothing at this address.', 'Not found');
    return c.body(bundle.code, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': IMMUTABLE });
  });

  /** The editor page; `extra` carries a failed save's text, error or conflict. */
  async function editor(
    c: Context,
    visit: Visit,
    path: string,
    state: { baseRevision: number | undefined; content: string; message?: string; error?: string; conflict?: Conflict; previewHtml?: string },
    status: 200 | 409 | 422 = 200,
  ) {
    const { frame, existing } = await frameOf(pages, visit, c);
    const bundle = await editorBundle();
    return c.html(
      <EditorPage
        {...frame}
        path={path}
        baseRevision={state.baseRevision}
        content={state.content}
        message={state.message ?? ''}
        pageNames={[...existing]}
        script={visit.urls.asset(bundle.name)}
        previewHtml={state.previewHtml}
        error={state.error}
        conflict={state.conflict}
        notice={state.error || state.conflict ? undefined : frame.notice}
      />,
      status,
    );
  }

  const current = (visit: Visit, path: string) =>
    pages.read(visit.wiki.id, path).catch((error: unknown) => {
      if (error instanceof WikiError && error.code === 'not_found') return undefined;
      throw error;
    });

  app.get('/new', async (c) => {
    const visit = await web.editable(c);
    if (visit instanceof Response) return visit;
    return c.redirect(visit.urls.edit(pagePath(c.req.query('path') ?? '')), 303);
  });

  app.get('/edit/*', async (c) => {
    const visit = await web.editable(c);
    if (visit instanceof Response) return visit;
    const path = web.pathIn(c, visit.urls, 'edit');
    const page = await current(visit, path);
    return editor(c, visit, path, { baseRevision: page?.revision, content: page?.content ?? `# ${path.split('/').at(-1)}\n\n` });
  });

  /** The conflict a failed save ran into: the page as it is now, against the text that was sent. */
  async function conflictWith(change: Change, path: string, mine: string): Promise<{ conflict: Conflict; baseRevision: number | undefined }> {
    const theirs = await current(change, path);
    const authorOf = web.authorNames();
    return {
      conflict: {
        revision: theirs?.revision,
        author: theirs ? await authorOf(theirs.updatedBy) : '',
        text: theirs?.content ?? '',
        diff: textDiff(theirs?.content ?? '', mine),
      },
      // Saving again from the conflict page replaces what is there now (or creates the page again).
      baseRevision: theirs?.revision,
    };
  }

  app.post('/edit/*', async (c) => {
    const change = await web.change(c);
    const path = web.pathIn(c, change.urls, 'edit');
    const content = (change.form.get('content') ?? '').replace(/\r\n/g, '\n');
    const message = change.form.get('message') ?? '';
    const baseRevision = revisionField(change.form, 'base_revision');
    if (change.form.get('action') === 'preview') {
      const { existing } = await frameOf(pages, change, c);
      return editor(c, change, path, { baseRevision, content, message, previewHtml: renderPage(content, change.urls, existing) });
    }
    try {
      const saved = await pages.write(change.wiki.id, change.did, { path, content, baseRevision, message });
      return c.redirect(withQuery(change.urls.page(saved.path), { notice: baseRevision === undefined ? 'created' : 'saved', revision: saved.revision }), 303);
    } catch (error) {
      if (!(error instanceof WikiError)) throw error;
      // Someone saved, created or deleted the page since this editor opened: show both, lose nothing.
      if (error.code === 'conflict' || error.code === 'exists' || (error.code === 'not_found' && baseRevision !== undefined)) {
        const { conflict, baseRevision: now } = await conflictWith(change, path, content);
        return editor(c, change, path, { baseRevision: now, content, message, conflict }, 409);
      }
      return editor(c, change, path, { baseRevision, content, message, error: error.message }, 422);
    }
  });

  app.post('/preview', async (c) => {
    const change = await web.change(c);
    const { existing } = await frameOf(pages, change, c);
    return c.html(renderPage(change.form.get('content') ?? '', change.urls, existing), 200, { 'Cache-Control': 'no-store' });
  });

  app.get('/rename/*', async (c) => {
    const visit = await web.editable(c);
    if (visit instanceof Response) return visit;
    const path = web.pathIn(c, visit.urls, 'rename');
    return renamePage(c, visit, path, path);
  });

  async function renamePage(c: Context, visit: Visit, path: string, newPath: string, error?: string) {
    const links = await pages.links(visit.wiki.id, path).catch((failure: unknown) => {
      if (failure instanceof WikiError) return undefined;
      throw failure;
    });
    if (!links) throw new AppError('not_found', 404, `There is no page “${path}” to rename.`, 'Not found');
    const { frame } = await frameOf(pages, visit, c);
    return c.html(<RenamePage {...frame} path={path} newPath={newPath} backlinks={links.backlinks.length} error={error} />, error ? 422 : 200);
  }

  app.post('/rename/*', async (c) => {
    const change = await web.change(c);
    const path = web.pathIn(c, change.urls, 'rename');
    const newPath = change.form.get('new_path') ?? '';
    try {
      const renamed = await pages.rename(change.wiki.id, change.did, { path, newPath });
      const query: Record<string, string | number> = { notice: 'renamed', from: path, revision: renamed.revision };
      // The pages whose [[links]] to the old name were rewritten, in the same transaction.
      if (renamed.linksRewrittenIn.length > 0) query.links = renamed.linksRewrittenIn.length;
      return c.redirect(withQuery(change.urls.page(renamed.path), query), 303);
    } catch (error) {
      if (error instanceof WikiError && error.code !== 'not_found') return renamePage(c, change, path, newPath, error.message);
      throw error;
    }
  });

  app.get('/delete/*', async (c) => {
    const visit = await web.editable(c);
    if (visit instanceof Response) return visit;
    const path = web.pathIn(c, visit.urls, 'delete');
    const page = await current(visit, path);
    if (!page) throw new AppError('not_found', 404, `There is no page “${path}” to delete.`, 'Not found');
    const { frame } = await frameOf(pages, visit, c);
    return c.html(<DeletePage {...frame} path={path} revision={page.revision} />);
  });

  app.post('/delete/*', async (c) => {
    const change = await web.change(c);
    const path = web.pathIn(c, change.urls, 'delete');
    const page = await current(change, path);
    if (!page) throw new AppError('not_found', 404, `There is no page “${path}” to delete; someone may have deleted or renamed it already.`, 'Not found');
    if (page.revision !== revisionField(change.form, 'base_revision')) {
      const { frame } = await frameOf(pages, change, c);
      const error = `Someone saved revision ${page.revision} since you opened this. Nothing was deleted: look at the page first, then delete it if you still want to.`;
      return c.html(<DeletePage {...frame} path={path} revision={page.revision} error={error} />, 409);
    }
    await pages.remove(change.wiki.id, change.did, { path });
    return c.redirect(withQuery(change.urls.base, { notice: 'deleted', from: path }), 303);
  });

  app.post('/restore/*', async (c) => {
    const change = await web.change(c);
    const path = web.pathIn(c, change.urls, 'restore');
    const revision = revisionField(change.form, 'revision');
    if (revision === undefined) throw new AppError('invalid_request', 400, 'Say which revision to restore.', 'Bad request');
    const old = await pages.read(change.wiki.id, path, revision).catch((error: unknown) => {
      if (error instanceof WikiError) throw new AppError('not_found', 404, error.message, 'Not found');
      throw error;
    });
    const baseRevision = revisionField(change.form, 'base_revision');
    try {
      const saved = await pages.write(change.wiki.id, change.did, { path, content: old.content, baseRevision, message: `Restored revision ${revision}` });
      return c.redirect(withQuery(change.urls.page(saved.path), { notice: 'restored', from: revision, revision: saved.revision }), 303);
    } catch (error) {
      if (!(error instanceof WikiError)) throw error;
      // The page changed since the old revision was opened: restoring now would undo that unseen.
      const { conflict, baseRevision: now } = await conflictWith(change, path, old.content);
      return editor(c, change, path, { baseRevision: now, content: old.content, message: `Restored revision ${revision}`, conflict }, 409);
    }
  });

  return app;
}
