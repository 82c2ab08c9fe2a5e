// The editor's browser script (./client/editor.ts and CodeMirror), bundled by esbuild on the first
// request that needs it and kept in memory; the server imports neither esbuild nor CodeMirror before
// then (idle memory budget, src/lazy.ts). Served from the app under a content-hashed name, so it can
// be cached for a year (RFC 9111 §5.2.2.1 max-age, RFC 8246 immutable) and never goes stale.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { lazily } from '../lazy.ts';

export interface EditorBundle {
  /** The script's file name, with the first 16 hex digits of its SHA-256. */
  name: string;
  code: string;
}

const ENTRY = fileURLToPath(new URL('./client/editor.ts', import.meta.url));

export const editorBundle = lazily(async (): Promise<EditorBundle> => {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const code = result.outputFiles[0]!.text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return { name: `editor-${hash}.js`, code };
});
