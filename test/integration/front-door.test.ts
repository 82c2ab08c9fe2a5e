// The front door and the feedback every page gives (issue 11): the landing page and the header bar,
// the wiki's name and description, a confirmation after every action, errors beside their field, the
// page a browser gets at a wiki's MCP address, all through the HTTP requests a browser makes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CAROL_DID, MALLORY_DID } from '../helpers/fake-atproto.ts';
import { bodyText, formField } from '../helpers/html.ts';
import { TestClient } from '../helpers/http-client.ts';
import { loginThroughFake, signUp } from '../helpers/login-flow.ts';
import { OAuthTestClient } from '../helpers/oauth-client.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('front door, header bar, wiki settings, confirmations and the MCP address page', () => {
  let fixture: WikiFixture;
  let carol: TestClient;
  let mallory: TestClient;
  let base: string;

  before(async () => {
    fixture = await startWikiFixture();
    carol = fixture.carol;
    base = fixture.platform.config.publicUrl;
    mallory = new TestClient(fixture.platform.platform.app, base);
    await signUp(mallory, fixture.fake, 'mallory', 'mallory.test');
  });
  after(() => fixture?.close());

  const deps = () => fixture.platform.platform.deps;
  const anonymous = () => new TestClient(fixture.platform.platform.app, base);
  const html = async (client: TestClient, path: string) => (await client.request(path)).text();
  /** Posts a dashboard form with the CSRF token of the form it belongs to, as the page would. */
  const post = async (client: TestClient, path: string, form: Record<string, string>, from: string) =>
    client.form(path, { csrf: formField(await html(client, from), path, 'csrf')!, ...form });
  /** Follows a 303 and returns the page's text. */
  const landOn = async (client: TestClient, response: Response) => {
    assert.equal(response.status, 303, await response.clone().text());
    const location = response.headers.get('location')!;
    return { location, text: bodyText(await html(client, location)) };
  };

  test('the landing page says what robot.wtf is and how to start or run your own; signed in, it leads to your wikis', async () => {
    const visitor = await (await anonymous().request('/')).text();
    assert.match(bodyText(visitor), /Wikis your AI assistants can read and write/);
    assert.match(visitor, /<a href="\/auth\/login" role="button">Log in to get started<\/a>/);
    assert.match(bodyText(visitor), /Run your own[\s\S]*npm install &amp;&amp; npm start|Run your own[\s\S]*npm install && npm start/);
    assert.doesNotMatch(visitor, /Log out/);

    const member = await html(carol, '/');
    assert.match(member, /<a href="\/app\/" role="button">Go to my wikis<\/a>/);
  });

  test('the header bar: my wikis, account and a logout form with the session’s token when signed in; log in, back to the same page, when not', async () => {
    const dashboard = await html(carol, '/app/');
    const nav = /<nav class="container" aria-label="Site">([\s\S]*?)<\/nav>/.exec(dashboard)![1]!;
    assert.match(nav, /href="\/app\/">My wikis/);
    assert.match(nav, /href="\/app\/account">Account/);
    assert.equal(formField(nav, '/auth/logout', 'csrf'), formField(dashboard, '/app/wikis', 'csrf'), 'the logout form carries the session’s CSRF token');
    const loggedOut = await carol.form('/auth/logout', { csrf: formField(nav, '/auth/logout', 'csrf')! });
    assert.notEqual(loggedOut.status, 403);
    assert.equal((await carol.request('/auth/me')).status, 401, 'the header’s form logs out');
    assert.equal((await loginThroughFake(carol, fixture.fake)).headers.get('location'), '/app/', 'logged in again');

    const notes = (await deps().wikis.findBySlug('notes'))!;
    await deps().wikis.setAnonymousRead(notes.id, true);
    await deps().pages.write(notes.id, CAROL_DID, { path: 'Home', content: 'Welcome.' });
    const reader = await html(anonymous(), '/w/notes/pages/Home');
    const login = /<a href="([^"]+)">Log in<\/a>/.exec(reader)![1]!.replaceAll('&amp;', '&');
    assert.equal(new URL(login, base).searchParams.get('return_to'), `${base}/w/notes/pages/Home`);
    assert.doesNotMatch(reader, /My wikis/);
    await deps().wikis.setAnonymousRead(notes.id, false);
  });

  test('the header bar on form answers for pages named like machine endpoints (mcp, data.json): signed in, not “Log in”', async () => {
    // Requirement: only the MCP and OAuth back-channel addresses skip the header bar's request context;
    // a page whose name ends like one is still a page (src/web/app.tsx, MACHINE_PATHS).
    for (const name of ['mcp', 'data.json']) {
      const path = `/w/notes/edit/${name}`;
      const response = await post(carol, path, { content: '# Hi', message: '', action: 'preview' }, path);
      assert.equal(response.status, 200, name);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/, name);
      const nav = /<nav class="container" aria-label="Site">([\s\S]*?)<\/nav>/.exec(await response.text())?.[1] ?? '';
      assert.match(nav, /href="[^"]*\/app\/">My wikis/, name);
      assert.doesNotMatch(nav, /Log in/, name);
    }
  });

  test('wiki settings: the owner’s name and description appear on the wiki and the settings page; errors stand beside their field', async () => {
    const settings = '/app/wikis/notes';
    const saved = await post(carol, `${settings}/settings`, { display_name: '  Carol’s field notes ', description: 'Robot arm\nand garden.' }, settings);
    const after = await landOn(carol, saved);
    assert.equal(after.location, `${settings}?done=settings-saved`);
    assert.match(after.text, /Name and description saved\./);
    assert.match(after.text, /Robot arm and garden\./);
    const wiki = bodyText(await html(carol, '/w/notes'));
    assert.match(wiki, /Carol’s field notes/);
    assert.match(wiki, /Robot arm and garden\./);
    assert.match(bodyText(await html(carol, '/app/')), /Carol’s field notes/);

    const empty = await post(carol, `${settings}/settings`, { display_name: '   ', description: 'kept' }, settings);
    assert.equal(empty.status, 422);
    const page = await empty.text();
    assert.match(page, /<input id="wiki_name" name="display_name"[^>]*aria-invalid="true"[^>]*aria-describedby="wiki_name-help"/);
    assert.match(page, /<small id="wiki_name-help" role="alert">Give the wiki a name of 1 to 80 characters\.<\/small>/);
    assert.match(page, /<textarea id="wiki_description"[^>]*>kept<\/textarea>/, 'what was typed is given back');
    const tooLong = await post(carol, `${settings}/settings`, { display_name: 'Notes', description: 'x'.repeat(501) }, settings);
    assert.equal(tooLong.status, 422);
    assert.match(await tooLong.text(), /<small id="wiki_description-help" role="alert">Keep the description to 500 characters\.<\/small>/);
    assert.equal((await deps().wikis.findBySlug('notes'))!.display_name, 'Carol’s field notes', 'nothing changed');

    const notes = (await deps().wikis.findBySlug('notes'))!;
    await deps().wikis.setMember({ wikiId: notes.id, did: MALLORY_DID, handle: 'mallory.test', role: 'write' }, 1);
    const collaborator = await html(mallory, settings);
    assert.match(bodyText(collaborator), /You can read and edit this wiki\./);
    assert.doesNotMatch(collaborator, /action="\/app\/wikis\/notes\/settings"/, 'no settings form for a collaborator');
    const forged = await mallory.form(`${settings}/settings`, {
      csrf: formField(collaborator, '/auth/logout', 'csrf')!,
      display_name: 'Mine now',
      description: '',
    });
    assert.equal(forged.status, 403);
    assert.equal((await deps().wikis.findBySlug('notes'))!.display_name, 'Carol’s field notes');
    await deps().wikis.removeMember(notes.id, MALLORY_DID, 1);
  });

  // IN-06: a confirmation is one of our fixed sentences, chosen by key; nothing from the URL is shown.
  test('IN-06: every action is confirmed on the page it leads to, in our own words; a key we do not know shows nothing', async () => {
    const settings = '/app/wikis/garden';
    const created = await landOn(carol, await post(carol, '/app/wikis', { slug: 'garden', display_name: 'Garden' }, '/app/'));
    assert.equal(created.location, `${settings}?done=wiki-created`);
    assert.match(created.text, /Wiki created\./);

    assert.match((await landOn(carol, await post(carol, `${settings}/access`, { anonymous_read: 'on' }, settings))).text, /Access saved\./);
    const added = await landOn(carol, await post(carol, `${settings}/members`, { account: 'mallory.test', role: 'read' }, settings));
    assert.match(added.text, /Collaborator saved\./);
    assert.match(added.text, /@mallory\.test/);
    const removed = await landOn(carol, await post(carol, `${settings}/members/remove`, { did: MALLORY_DID }, settings));
    assert.match(removed.text, /Collaborator removed\./);

    // A new token comes first on the page, with the Claude Code command that uses it, each with a copy button.
    const made = await post(carol, `${settings}/tokens`, { name: 'laptop', access: 'write' }, settings);
    assert.equal(made.status, 200);
    const page = await made.text();
    const token = /<code id="new-token">(rwt_[A-Za-z0-9_-]+)<\/code>/.exec(page)![1]!;
    assert.ok(page.indexOf('id="new-token"') < page.indexOf('<h1>'), 'the new token is above everything else');
    assert.ok(page.includes(`--header &quot;Authorization: Bearer ${token}&quot;</code>`), 'the command carries the token');
    assert.match(page, /<button type="button" class="copy secondary outline" data-copy="new-token" hidden="">Copy token<\/button>/);
    assert.match(page, /data-copy="new-token-command"/);
    const tokenId = /action="\/app\/wikis\/garden\/tokens\/([^/]+)\/revoke"/.exec(await html(carol, settings))![1]!;
    assert.match((await landOn(carol, await post(carol, `${settings}/tokens/${tokenId}/revoke`, {}, settings))).text, /Token revoked\./);

    const app = new OAuthTestClient({
      issuer: '/w/garden',
      browser: carol,
      backChannel: anonymous,
      redirectUri: 'http://127.0.0.1:9/callback',
      metadata: { client_name: 'Garden App', grant_types: undefined },
    });
    await app.consent(await app.authorize((await app.registerClient()).clientId));
    const grantId = /action="\/app\/apps\/([^/]+)\/revoke"/.exec(await html(carol, '/app/'))![1]!;
    assert.match((await landOn(carol, await post(carol, `/app/apps/${grantId}/revoke`, {}, '/app/'))).text, /App disconnected\./);

    const deleted = await landOn(carol, await post(carol, `${settings}/delete`, { confirm: 'garden' }, settings));
    assert.equal(deleted.location, '/app/?done=wiki-deleted');
    assert.match(deleted.text, /Wiki deleted/);

    for (const key of ['<script>alert(1)</script>', 'toString', '__proto__', 'Wiki deleted']) {
      const shown = await html(carol, `/app/?${new URLSearchParams({ done: key })}`);
      assert.doesNotMatch(shown, /role="status"/, key);
      assert.ok(!bodyText(shown).includes(key), `${key} is not reflected`);
    }
  });

  test('a form error stands beside its field, not above the page', async () => {
    const response = await post(carol, '/app/wikis/notes/delete', { confirm: 'not-notes' }, '/app/wikis/notes');
    assert.equal(response.status, 422);
    const page = await response.text();
    assert.match(
      page,
      /<input id="confirm"[^>]*aria-invalid="true"[^>]*aria-describedby="confirm-help"[^>]*\/><small id="confirm-help" role="alert">To delete the wiki, type its address/,
    );
    const token = await post(carol, '/app/wikis/notes/tokens', { name: ' ', access: 'read' }, '/app/wikis/notes');
    assert.match(await token.text(), /<small id="token_name-help" role="alert">Give the token a name/);
  });

  test('a browser opening the MCP address gets a page on connecting an assistant; MCP clients still get the protocol', async () => {
    const mcpUrl = `${base}/w/notes/mcp`;
    const visit = await anonymous().request('/w/notes/mcp', { headers: { accept: BROWSER_ACCEPT } });
    assert.equal(visit.status, 200);
    assert.match(visit.headers.get('content-type')!, /^text\/html/);
    assert.match(visit.headers.get('vary')!, /Accept/);
    assert.equal(visit.headers.get('www-authenticate'), null);
    const page = await visit.text();
    assert.match(page, new RegExp(`<code id="mcp-url">${mcpUrl}</code>`));
    assert.ok(page.includes(`claude mcp add --transport http notes ${mcpUrl}`));
    for (const client of ['Claude.ai', 'Claude Code', 'ChatGPT']) assert.ok(page.includes(client), client);

    const protocol: Record<string, string>[] = [
      { accept: 'application/json, text/event-stream' },
      { accept: 'text/event-stream' },
      {},
      { accept: BROWSER_ACCEPT, authorization: 'Bearer not-a-token' },
    ];
    for (const headers of protocol) {
      const response = await anonymous().request('/w/notes/mcp', { headers });
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.match(response.headers.get('www-authenticate')!, /^Bearer resource_metadata="/);
      assert.match(response.headers.get('content-type')!, /^application\/json/);
    }
    const posted = await anonymous().request('/w/notes/mcp', {
      method: 'POST',
      headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(posted.status, 401, 'only a GET is a visit');
    assert.equal((await anonymous().request('/w/nowhere/mcp', { headers: { accept: BROWSER_ACCEPT } })).status, 404);
  });
});
