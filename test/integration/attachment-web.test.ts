// Attachments in the web view over HTTP: how files are served (headers that keep an upload from
// scripting the wiki's origin), who may read them, and the upload form's guards and answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Wiki } from '../../src/store/wikis.ts';
import { CAROL_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { connectToWiki, type McpSession } from '../helpers/mcp.ts';
import { solidPng } from '../helpers/png.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const PAGE = 'Projects/Robot Arm';
const HOSTILE_HTML = '<!doctype html><script>document.title = "ran"</script>';
const HOSTILE_SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="document.title=\'ran\'"><script>document.title = "ran"</script></svg>';

describe('attachments in the web view', () => {
  let fixture: WikiFixture;
  let wiki: Wiki;
  let carol: McpSession;
  const fileUrl = (name: string) => `${fixture.issuer}/attachments/Projects/Robot%20Arm/${encodeURIComponent(name)}`;
  const pageUrl = () => `${fixture.issuer}/pages/Projects/Robot%20Arm`;

  before(async () => {
    fixture = await startWikiFixture({ ATTACHMENT_MAX_BYTES: '65536' });
    wiki = (await fixture.platform.platform.deps.wikis.findBySlug('notes'))!;
    carol = await connectToWiki(fixture, wiki, CAROL_DID);
    await carol.json('write_note', { path: PAGE, content: '# Robot arm\n\n![The wiring](diagram.png) ![remote](https://example.com/x.png)' });
    const upload = (filename: string, bytes: Buffer | string) =>
      carol.json('upload_attachment', { path: PAGE, filename, content: Buffer.from(bytes).toString('base64') });
    await upload('diagram.png', solidPng(16, 16, [0, 128, 0]));
    await upload('evil.html', HOSTILE_HTML);
    await upload('evil.svg', HOSTILE_SVG);
    await upload('Schaltplan für “Arm”.pdf', '%PDF-1.4\n%…');
  });
  after(async () => {
    await carol?.close();
    await fixture?.close();
  });

  /** A multipart upload as the page's form sends it. */
  async function postForm(client: TestClient, fields: Record<string, string | File>, headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' }) {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    return client.request(`${fixture.issuer}/attachments/Projects/Robot%20Arm`, { method: 'POST', body, headers });
  }
  const csrfOf = async (client: TestClient) => /name="csrf" value="([^"]+)"/.exec(await (await client.request(pageUrl())).text())?.[1];

  test('AF-02: only sniffed raster images are inline; HTML and SVG are octet-stream downloads; every file is nosniff and sandboxed', async () => {
    // Requirement: an uploaded file can never script the wiki's origin; inline only for whitelisted sniffed image types.
    const image = await fixture.carol.request(fileUrl('diagram.png'));
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.match(image.headers.get('content-disposition')!, /^inline; filename="diagram\.png"/);
    assert.ok(Buffer.from(await image.arrayBuffer()).equals(solidPng(16, 16, [0, 128, 0])));
    for (const name of ['evil.html', 'evil.svg']) {
      const file = await fixture.carol.request(fileUrl(name));
      assert.equal(file.status, 200, name);
      assert.equal(file.headers.get('content-type'), 'application/octet-stream', name);
      assert.equal(file.headers.get('content-disposition'), `attachment; filename="${name}"; filename*=UTF-8''${name}`, name);
    }
    for (const name of ['diagram.png', 'evil.html', 'evil.svg']) {
      const file = await fixture.carol.request(fileUrl(name));
      assert.equal(file.headers.get('x-content-type-options'), 'nosniff', name);
      assert.match(file.headers.get('content-security-policy')!, /^sandbox; default-src 'none'/, name);
      assert.equal(file.headers.get('cache-control'), 'private, no-cache', name);
    }
    const pdf = await fixture.carol.request(fileUrl('Schaltplan für “Arm”.pdf'));
    assert.equal(pdf.headers.get('content-type'), 'application/octet-stream');
    assert.equal(
      pdf.headers.get('content-disposition'),
      `attachment; filename="Schaltplan f_r _Arm_.pdf"; filename*=UTF-8''Schaltplan%20f%C3%BCr%20%E2%80%9CArm%E2%80%9D.pdf`,
    );
  });

  test('CS-03, AF-02 served by Node: the page carries our policy and its request id; a file keeps its own sandbox policy', async () => {
    // Requirement: served over HTTP, where the security headers go on Node's response before the route
    // runs (src/http/response-envelope.ts), a route's own policy must still win and every answer carries them.
    const overHttp = new TestClient(fixture.platform.url, fixture.platform.config.publicUrl);
    for (const [name, value] of fixture.carol.cookies) overHttp.cookies.set(name, value);
    const page = await overHttp.request(pageUrl());
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /^default-src 'none'; .*frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(page.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    const file = await overHttp.request(fileUrl('evil.html'));
    assert.equal(file.status, 200);
    assert.match(file.headers.get('content-security-policy')!, /^sandbox; default-src 'none'/);
    assert.equal(file.headers.get('content-security-policy')!.includes('script-src'), false, "one policy, the file's own");
    assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(file.headers.get('content-type'), 'application/octet-stream');
  });

  test('the page lists its files with links, and ![](diagram.png) shows the attachment inline', async () => {
    const html = await (await fixture.carol.request(pageUrl())).text();
    assert.match(html, /<img src="[^"]*\/w\/notes\/attachments\/Projects\/Robot%20Arm\/diagram\.png" alt="The wiring" \/>/);
    assert.match(html, /<img src="https:\/\/example\.com\/x\.png"/, 'a URL stays a URL');
    for (const name of ['diagram.png', 'evil.html', 'evil.svg']) assert.ok(html.includes(`href="${fileUrl(name)}"`), name);
    assert.ok(html.includes(`diagram.png</a> <small>${solidPng(16, 16, [0, 128, 0]).length} bytes · image/png · revision 1, `));
    assert.match(html, /<form method="post" action="[^"]*\/attachments\/Projects\/Robot%20Arm" enctype="multipart\/form-data">/);
  });

  test('AF-05: a private wiki’s files follow the pages’ read rule; a missing file or revision is a 404', async () => {
    // Requirement: attachments of a private wiki are readable exactly by those who may read its pages.
    const anonymous = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    const refused = await anonymous.request(fileUrl('diagram.png'));
    assert.equal(refused.status, 303);
    assert.match(refused.headers.get('location')!, /\/auth\/login\?return_to=/);
    const outsider = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    await signUp(outsider, fixture.fake, 'mallory', 'mallory.test');
    assert.equal((await outsider.request(fileUrl('diagram.png'))).status, 404);
    assert.equal((await fixture.carol.request(fileUrl('missing.png'))).status, 404);
    assert.equal((await fixture.carol.request(`${fileUrl('diagram.png')}?revision=7`)).status, 404);
  });

  test('AF-06: the upload form needs the wiki’s origin, the session’s CSRF token and a role that may edit', async () => {
    // Requirement: a cookie-authenticated upload is refused unless it comes from the wiki's own page with its CSRF token.
    const csrf = (await csrfOf(fixture.carol))!;
    const file = new File(['hello'], 'hello.txt');
    assert.equal((await postForm(fixture.carol, { csrf, file }, { 'sec-fetch-site': 'same-site', origin: 'https://other.example' })).status, 403);
    assert.equal((await postForm(fixture.carol, { csrf: 'forged', file })).status, 403);
    const { deps } = fixture.platform.platform;
    await deps.wikis.setMember({ wikiId: wiki.id, did: VICTIM_DID, handle: null, role: 'read' }, deps.now());
    const reader = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    await signUp(reader, fixture.fake, 'victim', 'victim.test');
    const readerPage = await (await reader.request(pageUrl())).text();
    assert.ok(readerPage.includes('evil.svg') && !readerPage.includes('enctype="multipart/form-data"'), 'a reader sees files, not the form');
    assert.equal((await postForm(reader, { csrf: 'x', file })).status, 403);
    const listed = await carol.json('list_attachments', { path: PAGE });
    assert.ok(!listed.attachments.some((a: { name: string }) => a.name === 'hello.txt'));
  });

  test('an upload through the form is confirmed on the page; problems are shown beside the file field', async () => {
    const csrf = (await csrfOf(fixture.carol))!;
    const done = await postForm(fixture.carol, { csrf, file: new File([new Uint8Array(solidPng(4, 4, [9, 9, 9]))], 'small.png'), message: 'from the browser' });
    assert.equal(done.status, 303);
    const back = done.headers.get('location')!;
    assert.match(back, /\/pages\/Projects\/Robot%20Arm\?attached=small\.png&attached_revision=1#attachments$/);
    assert.match(await (await fixture.carol.request(back)).text(), /role="status" class="flash">Uploaded small\.png \(revision 1\)\./);
    const big = await postForm(fixture.carol, { csrf, file: new File([Buffer.alloc(65537)], 'big.bin') });
    const error = await (await fixture.carol.request(big.headers.get('location')!)).text();
    assert.match(error, /aria-invalid="true" aria-describedby="attachment-file-error"/);
    assert.match(error, /<small id="attachment-file-error">That file is too large: an attachment is at most 64 KiB\. Nothing was saved\.<\/small>/);
    const downloaded = await carol.json('download_attachment', { path: PAGE, filename: 'small.png' });
    assert.equal(downloaded.type, 'image/png');
  });
});
