// The page editor in the browser (bundled by ../editor-bundle.ts, never imported by the server). It
// enhances the plain form the server renders, which saves on its own without JavaScript: CodeMirror
// replaces the textarea and writes every change back into it, so the form posts what is on screen.
// CodeMirror lives in a shadow root: there it styles itself with constructed style sheets, where in
// the document it would need an inline <style>, which the app's Content-Security-Policy refuses.
import { autocompletion, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { markdown } from '@codemirror/lang-markdown';
import { EditorView, basicSetup } from 'codemirror';

const PREVIEW_DELAY_MS = 300;

function enhance(form: HTMLFormElement): void {
  const textarea = form.querySelector<HTMLTextAreaElement>('textarea[name=content]')!;
  const preview = document.querySelector<HTMLElement>('#preview');
  const notice = document.querySelector<HTMLElement>('#draft-notice');
  const csrf = form.querySelector<HTMLInputElement>('input[name=csrf]')!.value;
  const pageNames: string[] = JSON.parse(form.dataset.pages ?? '[]');
  const draftKey = form.dataset.draftKey!;
  const original = textarea.value;

  /** `[[` followed by the start of a page name: offer the wiki's pages, closing the link on accept. */
  const wikiLinks = (context: CompletionContext): CompletionResult | null => {
    const typed = context.matchBefore(/\[\[[^\]|\n]*/);
    if (!typed) return null;
    return {
      from: typed.from + 2,
      options: pageNames.map((name) => ({ label: name, apply: closeLink, type: 'text' })),
      validFor: /^[^\]|\n]*$/,
    };
  };

  /** Inserts the name and whatever of `]]` is not already there (bracket closing may have typed it). */
  const closeLink = (view: EditorView, completion: Completion, from: number, to: number) => {
    const closing = /^\]{0,2}/.exec(view.state.sliceDoc(to, to + 2))![0].length;
    const insert = completion.label + ']'.repeat(2 - closing);
    view.dispatch({ changes: { from, to, insert }, selection: { anchor: from + completion.label.length + 2 } });
  };

  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  let previewRequest: AbortController | undefined;
  const refreshPreview = (text: string) => {
    if (!preview) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      previewRequest?.abort();
      previewRequest = new AbortController();
      try {
        const response = await fetch(form.dataset.previewUrl!, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, content: text }),
          signal: previewRequest.signal,
          credentials: 'same-origin',
        });
        // The server renders with the same sanitising renderer as the page view.
        preview.innerHTML = response.ok ? await response.text() : `<p class="alert">The preview failed (${response.status}). Your text is still here.</p>`;
      } catch (error) {
        if ((error as Error).name !== 'AbortError') preview.innerHTML = '<p class="alert">The preview could not reach the server. Your text is still here.</p>';
      }
    }, PREVIEW_DELAY_MS);
  };

  const saveDraft = (text: string) => {
    try {
      if (text === original) localStorage.removeItem(draftKey);
      else localStorage.setItem(draftKey, JSON.stringify({ text, savedAt: Date.now() }));
    } catch {
      // Storage full or disabled: the draft just does not survive a reload.
    }
  };

  const host = document.createElement('div');
  host.className = 'editor-host';
  textarea.insertAdjacentElement('afterend', host);
  const shadow = host.attachShadow({ mode: 'open' });
  const view = new EditorView({
    doc: original,
    parent: shadow,
    root: shadow,
    extensions: [
      theme,
      basicSetup,
      markdown(),
      EditorView.lineWrapping,
      autocompletion({ override: [wikiLinks] }),
      EditorView.contentAttributes.of({ 'aria-label': textarea.labels?.[0]?.textContent?.trim() || 'Page text' }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        const text = update.state.doc.toString();
        textarea.value = text;
        saveDraft(text);
        refreshPreview(text);
      }),
    ],
  });
  textarea.hidden = true;
  form.classList.add('enhanced');

  const replaceText = (text: string) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });

  const stored = readDraft(draftKey);
  if (stored && stored.text !== original && notice) {
    replaceText(stored.text);
    notice.hidden = false;
    notice.querySelector('[data-draft-time]')!.textContent = new Date(stored.savedAt).toLocaleString();
    notice.querySelector('button')!.addEventListener('click', () => {
      replaceText(original);
      localStorage.removeItem(draftKey);
      notice.textContent = 'Draft discarded; the editor shows the saved page again.';
    });
  }
  // The server answers every save (a conflict included) with the text that was sent, so the draft
  // is not needed past this point.
  form.addEventListener('submit', () => {
    textarea.value = view.state.doc.toString();
    localStorage.removeItem(draftKey);
  });
  refreshPreview(view.state.doc.toString());
}

/** Pico's colours and fonts, which reach into the shadow root as inherited custom properties. */
const theme = EditorView.theme({
  '&': {
    border: '1px solid var(--pico-form-element-border-color)',
    borderRadius: 'var(--pico-border-radius)',
    background: 'var(--pico-form-element-background-color)',
    color: 'var(--pico-color)',
    marginBottom: 'var(--pico-spacing)',
  },
  '&.cm-focused': { outline: '2px solid var(--pico-primary)' },
  '.cm-scroller': { minHeight: '20rem', fontFamily: 'var(--pico-font-family-monospace)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--pico-color)' },
  '.cm-gutters': { background: 'var(--pico-card-sectioning-background-color)', color: 'var(--pico-muted-color)', border: 'none' },
});

function readDraft(key: string): { text: string; savedAt: number } | undefined {
  try {
    const raw = localStorage.getItem(key);
    const draft = raw ? JSON.parse(raw) : undefined;
    return typeof draft?.text === 'string' && typeof draft.savedAt === 'number' ? draft : undefined;
  } catch {
    return undefined;
  }
}

const form = document.querySelector<HTMLFormElement>('form#page-editor');
if (form) enhance(form);
