// `robot wikis`, `wiki create`, `token create`, `export`, `import` and `logout`: the management API
// (/api/v1) from the command line, as the person `robot login` stored a credential for.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, MANIFEST_FILE, type ArchiveManifest } from '../wiki/archive.ts';
import { ApiFailure, callApi, slugPath } from './api-client.ts';
import { forgetLogin, readLogin } from './credentials.ts';
import { CliFailure } from './failure.ts';
import type { Output } from './login.ts';

export async function listWikis(server: string, io: Output): Promise<void> {
  const { wikis } = (await (await callApi(server, 'GET', '/wikis')).json()) as { wikis: { slug: string; display_name: string; role: string; url: string }[] };
  if (wikis.length === 0) io.out('no wikis yet; make one with robot wiki create <slug>');
  for (const wiki of wikis) io.out(`${wiki.slug}\t${wiki.role}\t${wiki.display_name}\t${wiki.url}`);
}

export async function createWiki(server: string, slug: string, name: string | undefined, io: Output): Promise<void> {
  const wiki = (await (await callApi(server, 'POST', '/wikis', { json: { slug, display_name: name } })).json()) as { slug: string; url: string };
  io.out(`made wiki ${wiki.slug}: ${wiki.url}`);
}

export async function createToken(server: string, slug: string, options: { read: boolean; name: string }, io: Output): Promise<void> {
  const made = (await (
    await callApi(server, 'POST', `${slugPath(slug)}/tokens`, { json: { name: options.name, access: options.read ? 'read' : 'write' } })
  ).json()) as { token: string; access: string };
  io.err(`made a ${made.access === 'read' ? 'read-only' : 'read and write'} token for ${slug}; it is shown once:`);
  // The token alone on stdout, so that `$(robot token create notes)` captures it.
  io.out(made.token);
}

export async function exportWiki(server: string, slug: string, file: string | undefined, io: Output): Promise<void> {
  const target = file ?? `${slug}.zip`;
  if (existsSync(target)) throw new CliFailure(`${target} exists; name another file or remove it first`);
  const bytes = new Uint8Array(await (await callApi(server, 'GET', `${slugPath(slug)}/archive`)).arrayBuffer());
  writeFileSync(target, bytes, { flag: 'wx' });
  io.out(`exported ${slug} to ${target} (${Math.ceil(bytes.length / 1024)} KiB)`);
}

export async function importWiki(server: string, source: string, slug: string | undefined, io: Output): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = statSync(source).isDirectory();
  } catch {
    throw new CliFailure(`cannot read ${source}`);
  }
  const target = slug ?? path.basename(path.resolve(source)).replace(/\.zip$/i, '');
  const zip = isFolder ? await zipFolder(source) : new Uint8Array(readFileSync(source));
  const answer = (await (await callApi(server, 'POST', `${slugPath(target)}/archive`, { zip })).json()) as {
    wiki: { slug: string; url: string };
    pages: number;
    attachments: number;
    skipped: string[];
  };
  io.out(`imported ${answer.pages} pages${answer.attachments ? ` and ${answer.attachments} attachments` : ''} into ${answer.wiki.slug}: ${answer.wiki.url}`);
  if (answer.skipped.length) io.err(`left out (neither pages nor attachments): ${answer.skipped.join(', ')}`);
}

/**
 * A folder as an archive: each `.md` file a page at its relative path. A manifest names them, so the
 * paths are exactly the folder's (a zip of loose files would lose a folder that holds them all).
 */
async function zipFolder(folder: string): Promise<Uint8Array> {
  const { zipSync } = await import('fflate');
  const files: Record<string, Uint8Array> = {};
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    wiki: { slug: path.basename(path.resolve(folder)), displayName: path.basename(path.resolve(folder)) },
    exportedAt: Math.floor(Date.now() / 1000),
    pages: [],
    revisions: [],
    attachments: [],
  };
  for (const relative of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
    const full = path.join(folder, relative);
    if (!statSync(full).isFile()) continue;
    const name = relative.split(path.sep).join('/');
    files[name] = new Uint8Array(readFileSync(full));
    if (/\.md$/i.test(name)) manifest.pages.push({ path: name.replace(/\.md$/i, ''), file: name, revision: 0, updatedAt: 0, updatedBy: '' });
  }
  files[MANIFEST_FILE] = new TextEncoder().encode(JSON.stringify(manifest));
  return zipSync(files);
}

/** Ends the stored credential on the server, then forgets it here (even when the server cannot be reached). */
export async function logout(server: string, io: Output): Promise<void> {
  if (!readLogin(server)) throw new CliFailure(`not logged in to ${server}`);
  try {
    await callApi(server, 'DELETE', '/session');
  } catch (error) {
    // 401: the server had already ended it (revoked or expired), which is what logging out wants.
    if (!(error instanceof ApiFailure && error.status === 401))
      io.err(`robot: the server did not end the session (${(error as Error).message}); it ends when the credential expires`);
  }
  forgetLogin(server);
  io.out(`logged out of ${server}`);
}
