// The wiki in the browser, for changing it: the editor (a plain form that saves without JavaScript;
// ./client/editor.ts turns it into CodeMirror with a live preview), the conflict page that shows both
// versions and their difference, and the rename and delete forms.
import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';
import type { TextDiff } from './diff.ts';
import { ActionForm, DiffView, WikiShell, type WikiFrame } from './web-view-pages.tsx';

/** Someone saved the page after the editor was opened: their revision and text. */
export interface Conflict {
  revision: number | undefined;
  author: string;
  text: string;
  /** From their text to the text being saved. */
  diff: TextDiff;
}

export interface EditorProps extends WikiFrame {
  path: string;
  /** The revision the text started from; undefined when creating the page. */
  baseRevision: number | undefined;
  content: string;
  message: string;
  /** The page names `[[` offers. */
  pageNames: string[];
  /** The editor script's URL (content-hashed). */
  script: string;
  /** The rendered text, when the form's Preview button was used (the no-script preview). */
  previewHtml?: string | undefined;
  /** Beside the text field: why the last save failed. */
  error?: string | undefined;
  conflict?: Conflict | undefined;
}

export const EditorPage: FC<EditorProps> = (props) => {
  const creating = props.baseRevision === undefined;
  const title = props.conflict ? `Conflict: ${props.path}` : creating ? `Create ${props.path}` : `Edit ${props.path}`;
  return (
    <WikiShell {...props} title={title} current={props.path}>
      <article class="wiki-article editor">
        <h1>{title}</h1>
        {props.conflict ? <ConflictNotice path={props.path} conflict={props.conflict} /> : null}
        <p id="draft-notice" role="status" class="flash" hidden>
          Restored your unsaved draft from <span data-draft-time></span>.{' '}
          <button type="button" class="secondary outline">
            Discard draft
          </button>
        </p>
        <div class="editor-panes">
          <form
            id="page-editor"
            method="post"
            action={props.urls.edit(props.path)}
            data-preview-url={props.urls.preview}
            data-pages={JSON.stringify(props.pageNames)}
            data-draft-key={`robot-draft:${props.urls.edit(props.path)}`}
          >
            <input type="hidden" name="csrf" value={props.csrf ?? ''} />
            {creating ? null : <input type="hidden" name="base_revision" value={String(props.baseRevision)} />}
            <label for="content">
              Page text (Markdown)
              <textarea id="content" name="content" rows={18} aria-invalid={props.error ? 'true' : undefined} aria-describedby="content-help" spellcheck>
                {props.content}
              </textarea>
              <small id="content-help" class={props.error ? 'field-error' : undefined}>
                {props.error ?? 'Link to another page with [[Page name]] or [[Page name|label]].'}
              </small>
            </label>
            <label for="message">
              What changed (optional)
              <input id="message" name="message" type="text" maxlength={500} value={props.message} />
            </label>
            <div class="editor-buttons">
              <button type="submit" name="action" value="save">
                {props.conflict ? 'Save my version' : creating ? 'Create page' : 'Save'}
              </button>
              <button type="submit" name="action" value="preview" class="secondary outline no-script-only">
                Preview
              </button>
              {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
              <a href={props.urls.page(props.path)} role="button" class="secondary outline">
                {props.conflict ? 'Keep theirs, discard mine' : 'Cancel'}
              </a>
            </div>
          </form>
          <section class="preview-pane" aria-labelledby="preview-heading">
            <h2 id="preview-heading">Preview</h2>
            <div id="preview" class="wiki-page" aria-live="polite">
              {props.previewHtml === undefined ? <p>The preview appears here as you type.</p> : raw(props.previewHtml)}
            </div>
          </section>
        </div>
      </article>
      <script type="module" src={props.script}></script>
    </WikiShell>
  );
};

const ConflictNotice: FC<{ path: string; conflict: Conflict }> = ({ path, conflict }) => (
  <section class="conflict" aria-labelledby="conflict-heading">
    <h2 id="conflict-heading">
      {conflict.revision === undefined
        ? `“${path}” was deleted while you were editing. Nothing was saved.`
        : `${conflict.author} saved revision ${conflict.revision} while you were editing. Nothing was saved.`}
    </h2>
    <p>
      Your text is in the editor below and is not lost. Compare the two versions, then either save yours (it replaces theirs; merge in what you want to keep
      first), or keep theirs.
    </p>
    {conflict.revision === undefined ? null : (
      <>
        <DiffView diff={conflict.diff} caption={`From their revision ${conflict.revision} to your text`} />
        <details>
          <summary>Their version (revision {conflict.revision})</summary>
          <pre class="their-text">{conflict.text}</pre>
        </details>
      </>
    )}
  </section>
);

export const RenamePage: FC<WikiFrame & { path: string; newPath: string; backlinks: number; error?: string | undefined }> = (props) => (
  <WikiShell {...props} title={`Rename ${props.path}`} current={props.path}>
    <article class="wiki-article">
      <h1>Rename “{props.path}”</h1>
      <p>
        {props.backlinks === 0
          ? 'No other page links to it.'
          : `${props.backlinks} page${props.backlinks === 1 ? ' links' : 's link'} to it. Its history moves with it.`}
      </p>
      <ActionForm action={props.urls.rename(props.path)} csrf={props.csrf} class="stacked-form">
        <label for="new_path">
          New name
          <input
            id="new_path"
            name="new_path"
            type="text"
            value={props.newPath}
            required
            autocapitalize="none"
            aria-invalid={props.error ? 'true' : undefined}
            aria-describedby="new-path-help"
          />
          <small id="new-path-help" class={props.error ? 'field-error' : undefined}>
            {props.error ?? 'Use / to put the page in a folder, e.g. Projects/Robot arm.'}
          </small>
        </label>
        <button type="submit">Rename page</button>
      </ActionForm>
    </article>
  </WikiShell>
);

export const DeletePage: FC<WikiFrame & { path: string; revision: number; error?: string | undefined }> = (props) => (
  <WikiShell {...props} title={`Delete ${props.path}`} current={props.path}>
    <article class="wiki-article">
      <h1>Delete “{props.path}”?</h1>
      <p>The page disappears from the wiki. Its history stays, and any revision can be restored from it later.</p>
      {props.error ? (
        <p role="alert" class="alert">
          {props.error}
        </p>
      ) : null}
      <ActionForm action={props.urls.remove(props.path)} csrf={props.csrf}>
        <input type="hidden" name="base_revision" value={String(props.revision)} />
        <button type="submit" class="danger">
          Delete page
        </button>{' '}
        {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
        <a href={props.urls.page(props.path)} role="button" class="secondary outline">
          Keep it
        </a>
      </ActionForm>
    </article>
  </WikiShell>
);
