// The authorization endpoint and consent at a wiki's issuer (catalogue RU, PK-01/02, CS, MX-03, AS-03).
import assert from 'node:assert/strict';
import { sha256 } from '../../src/secrets.ts';
import { after, before, beforeEach, describe, test } from 'node:test';
import { MALLORY_DID } from '../helpers/fake-atproto.ts';
import { bodyText, formField, hiddenCharactersIn } from '../helpers/html.ts';
import { streamedBody, TestClient } from '../helpers/http-client.ts';
import { OAuthTestClient, PKCE, type QueryParameters } from '../helpers/oauth-client.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const REDIRECT = 'https://app.example/callback';

describe('authorization endpoint and consent', () => {
  let fixture: WikiFixture;
  let platform: TestPlatform;
  let carol: TestClient;
  let issuer: string;
  let oauth: OAuthTestClient;

  before(async () => {
    fixture = await startWikiFixture();
    ({ platform, carol, issuer } = fixture);
    oauth = new OAuthTestClient({
      issuer: '/w/notes',
      browser: carol,
      backChannel: () => new TestClient(platform.platform.app, platform.config.publicUrl),
      redirectUri: REDIRECT,
      metadata: { client_name: 'Test App', grant_types: undefined },
      authorizeParams: { state: 'st-1', resource: `${issuer}/mcp` },
    });
  });
  after(() => fixture?.close());
  beforeEach(async () => {
    await platform.platform.deps.database.db.deleteFrom('grants').execute();
  });

  const db = () => platform.platform.deps.database.db;
  const count = async (table: 'authorization_codes' | 'authorization_requests') => (await db().selectFrom(table).select('expires_at').execute()).length;

  const registerClient = async (metadata: Record<string, unknown> = {}) => (await oauth.registerClient(metadata)).clientId;
  const authorizeUrl = (clientId: string, overrides: QueryParameters = {}) => oauth.authorizeUrl(clientId, overrides);
  const approve = (browser: TestClient, page: Response, decision = 'approve', headers: Record<string, string> = {}) =>
    oauth.consent(page, decision, browser, headers);

  const location = (response: Response) => new URL(response.headers.get('location')!);

  test('without a session the person logs in first and comes back to the same request', async () => {
    const clientId = await registerClient();
    const anonymous = new TestClient(platform.platform.app, platform.config.publicUrl);
    const response = await anonymous.request(authorizeUrl(clientId));
    assert.equal(response.status, 303);
    const target = location(response);
    assert.equal(target.origin + target.pathname, `${platform.config.publicUrl}/auth/login`);
    assert.equal(target.searchParams.get('return_to'), `${platform.config.publicUrl}${authorizeUrl(clientId)}`);
  });

  test('consent, then a code sent back with state and iss (MX-03) by a 303', async () => {
    const clientId = await registerClient();
    const page = await carol.request(authorizeUrl(clientId));
    assert.equal(page.status, 200);
    const response = await approve(carol, page);
    assert.equal(response.status, 303);
    const target = location(response);
    assert.equal(target.origin + target.pathname, REDIRECT);
    assert.match(target.searchParams.get('code')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(target.searchParams.get('state'), 'st-1');
    assert.equal(target.searchParams.get('iss'), issuer);
    const stored = await db().selectFrom('authorization_codes').selectAll().execute();
    assert.ok(
      stored.every((row) => row.code_hash !== target.searchParams.get('code')),
      'codes are stored hashed',
    );
  });

  test('remembered consent: the same client asking again gets a code without the page', async () => {
    const clientId = await registerClient();
    await approve(carol, await carol.request(authorizeUrl(clientId)));
    const again = await carol.request(authorizeUrl(clientId, { state: 'st-2' }));
    assert.equal(again.status, 303);
    assert.ok(location(again).searchParams.get('code'));
    assert.equal(location(again).searchParams.get('state'), 'st-2');
  });

  test('RU-01: a redirect URI that is not exactly registered is a page on our origin: no Location, no request stored', async () => {
    const clientId = await registerClient();
    const before = await count('authorization_requests');
    for (const uri of [
      'https://app.example/callback/',
      'https://APP.example/callback',
      'https://app.example:443/callback',
      'https://app.example/callback?x=1',
      'https://app.example.evil.com/callback',
      'https://app.example@evil.com/callback',
      'http://app.example/callback',
    ]) {
      const response = await carol.request(authorizeUrl(clientId, { redirect_uri: uri }));
      assert.equal(response.status, 400, uri);
      assert.equal(response.headers.get('location'), null);
      assert.match(await response.text(), /not one it registered/);
    }
    assert.equal(await count('authorization_requests'), before);
  });

  test('RU-02: unknown client, an ambiguous omitted redirect_uri, or a repeated parameter: a page, never a redirect', async () => {
    assert.equal((await carol.request(authorizeUrl('mcp_unknown'))).status, 400);
    const twoUris = await registerClient({ redirect_uris: [REDIRECT, 'https://app.example/other'] });
    const omitted = await carol.request(authorizeUrl(twoUris, { redirect_uri: undefined }));
    assert.equal(omitted.status, 400);
    assert.equal(omitted.headers.get('location'), null);
    const oneUri = await registerClient();
    assert.equal((await carol.request(authorizeUrl(oneUri, { redirect_uri: undefined }))).status, 200, 'one registered URI may be omitted');
    const repeated = await carol.request(`${authorizeUrl(oneUri)}&redirect_uri=${encodeURIComponent(REDIRECT)}`);
    assert.equal(repeated.status, 400);
    assert.equal(repeated.headers.get('location'), null);
  });

  test('RU-03: a loopback client may come back on any port but 0', async () => {
    const clientId = await registerClient({ redirect_uris: ['http://127.0.0.1/cb'] });
    assert.equal((await carol.request(authorizeUrl(clientId, { redirect_uri: 'http://127.0.0.1:53124/cb' }))).status, 200);
    const zero = await carol.request(authorizeUrl(clientId, { redirect_uri: 'http://127.0.0.1:0/cb' }));
    assert.equal(zero.status, 400);
    assert.equal(zero.headers.get('location'), null);
    assert.match(await zero.text(), /not one it registered/);
  });

  test('RU-04: errors in a request from a registered phishing client are not redirected before the person logs in', async () => {
    const evil = await registerClient({ redirect_uris: ['https://phish.example/cb'] });
    const anonymous = new TestClient(platform.platform.app, platform.config.publicUrl);
    const response = await anonymous.request(authorizeUrl(evil, { redirect_uri: 'https://phish.example/cb', scope: 'bogus' }));
    assert.equal(response.status, 303);
    assert.equal(location(response).pathname, '/auth/login');
  });

  test('PK-01, PK-02: no challenge, plain, a method-less or malformed challenge: invalid_request to the client, no code', async () => {
    const clientId = await registerClient();
    const codes = await count('authorization_codes');
    for (const overrides of [
      { code_challenge: undefined },
      { code_challenge_method: 'plain' },
      { code_challenge_method: undefined },
      { code_challenge: PKCE.challenge.slice(1) },
      { code_challenge: `${PKCE.challenge}${'a'.repeat(86)}` },
      { code_challenge: `${PKCE.challenge.slice(3)}+/=` },
      { code_challenge: '' },
    ]) {
      const response = await carol.request(authorizeUrl(clientId, overrides));
      assert.equal(response.status, 303, JSON.stringify(overrides));
      const target = location(response);
      assert.equal(target.searchParams.get('error'), 'invalid_request');
      assert.equal(target.searchParams.get('state'), 'st-1');
      assert.equal(target.searchParams.get('iss'), issuer, 'MX-03: iss on errors too');
    }
    assert.equal(await count('authorization_codes'), codes);
  });

  test('AS-03: resource must name this wiki’s MCP URL (a trailing slash is normalised; omitted means this wiki)', async () => {
    const clientId = await registerClient();
    for (const resource of [`${platform.config.publicUrl}/w/other/mcp`, '/mcp', `${issuer}/mcp#frag`, `${issuer}`, `${platform.config.publicUrl}/`]) {
      const response = await carol.request(authorizeUrl(clientId, { resource }));
      assert.equal(location(response).searchParams.get('error'), 'invalid_target', resource);
    }
    assert.equal((await carol.request(authorizeUrl(clientId, { resource: `${issuer}/mcp/` }))).status, 200);
    assert.equal((await carol.request(authorizeUrl(clientId, { resource: undefined }))).status, 200);
    assert.equal(location(await carol.request(authorizeUrl(clientId, { scope: 'wiki:admin' }))).searchParams.get('error'), 'invalid_scope');
  });

  test('IN-01: a consent form over 4 KiB is a 413 before it is read; the request survives to be approved', async () => {
    const clientId = await registerClient();
    const html = await (await carol.request(authorizeUrl(clientId))).text();
    const requestId = formField(html, '/oauth/consent', 'request_id')!;
    const csrf = formField(html, '/oauth/consent', 'csrf')!;
    const codes = await count('authorization_codes');
    const fields = { request_id: requestId, csrf, decision: 'approve' };
    const padded = await carol.form('/w/notes/oauth/consent', { ...fields, padding: 'x'.repeat(5000) });
    assert.equal(padded.status, 413);
    assert.equal(padded.headers.get('location'), null);
    assert.match(padded.headers.get('content-type')!, /^text\/html/);
    // Without Content-Length the cap holds while reading: 8 MiB offered, little taken.
    const streamed = streamedBody(`request_id=${requestId}&csrf=${csrf}&decision=approve&padding=`, 8 * 1024 * 1024);
    const chunked = await carol.request(
      '/w/notes/oauth/consent',
      streamed.post({ 'content-type': 'application/x-www-form-urlencoded', origin: platform.config.publicUrl }),
    );
    assert.equal(chunked.status, 413);
    assert.equal(chunked.headers.get('location'), null);
    assert.ok(streamed.pulled() <= 64 * 1024, `read ${streamed.pulled()} bytes of an oversized body`);
    assert.equal(await count('authorization_codes'), codes, 'no code from a refused form');
    const approved = await carol.form('/w/notes/oauth/consent', fields);
    assert.equal(approved.status, 303, 'the refused forms consumed nothing');
  });

  test('IN-01: a 4 KiB state is sent back intact; a longer one is refused on our page, nothing stored', async () => {
    const clientId = await registerClient();
    // 4096 bytes that need percent-encoding and must survive it.
    const state = 'Az09-._~+/=&%?#: '.repeat(256).slice(0, 4096);
    assert.equal(Buffer.byteLength(state), 4096);
    // Over real HTTP, so the whole URL also passes the server's 16 KiB header cap.
    const overHttp = new TestClient(platform.url, platform.config.publicUrl);
    for (const [name, value] of carol.cookies) overHttp.cookies.set(name, value);
    const page = await overHttp.request(authorizeUrl(clientId, { state }));
    assert.equal(page.status, 200);
    assert.equal(location(await approve(overHttp, page)).searchParams.get('state'), state, 'with the code');
    const remembered = await overHttp.request(authorizeUrl(clientId, { state }));
    assert.equal(location(remembered).searchParams.get('state'), state, 'with a code for remembered consent');
    const failed = await overHttp.request(authorizeUrl(clientId, { state, code_challenge_method: 'plain' }));
    assert.equal(location(failed).searchParams.get('error'), 'invalid_request');
    assert.equal(location(failed).searchParams.get('state'), state, 'with an error');

    // A client not yet approved, so an accepted request would be stored for the consent page.
    const fresh = await registerClient();
    const requests = await count('authorization_requests');
    for (const long of [`${state}x`, 's'.repeat(64 * 1024)]) {
      const refused = await carol.request(authorizeUrl(fresh, { state: long }));
      assert.equal(refused.status, 400, `${long.length} bytes`);
      assert.equal(refused.headers.get('location'), null);
      assert.match(await refused.text(), /state/);
    }
    assert.equal(await count('authorization_requests'), requests);
    const huge = authorizeUrl(fresh, { state: 's'.repeat(64 * 1024) });
    const overCap = await fetch(`${platform.url}${huge}`, { redirect: 'manual' });
    assert.equal(overCap.status, 431, 'a real server refuses a 64 KiB URL before any route runs');
  });

  test('CS-01: the consent POST needs its CSRF token, this user, and works once', async () => {
    const clientId = await registerClient();
    const page = await (await carol.request(authorizeUrl(clientId))).text();
    const requestId = formField(page, '/oauth/consent', 'request_id')!;
    const csrf = formField(page, '/oauth/consent', 'csrf')!;
    const codesBefore = await count('authorization_codes');
    assert.equal((await carol.form('/w/notes/oauth/consent', { request_id: requestId, decision: 'approve' })).status, 403, 'no token');
    assert.equal((await carol.form('/w/notes/oauth/consent', { request_id: requestId, csrf: 'wrong', decision: 'approve' })).status, 403, 'wrong token');
    const mallory = new TestClient(platform.platform.app, platform.config.publicUrl);
    const malloryToken = await platform.platform.deps.sessions.mint({ did: MALLORY_DID, handle: null, username: 'mallory' }, Math.floor(Date.now() / 1000));
    mallory.cookies.set('platform_token', malloryToken.token);
    assert.equal((await mallory.form('/w/notes/oauth/consent', { request_id: requestId, csrf, decision: 'approve' })).status, 403, "another user's request");
    assert.equal((await carol.request(`/w/notes/oauth/consent?request_id=${requestId}&csrf=${csrf}&decision=approve`)).status, 404, 'GET is not an approval');
    assert.equal(await count('authorization_codes'), codesBefore, 'no code from any refused attempt');
    assert.equal((await db().selectFrom('grants').select('id').execute()).length, 0, 'no consent recorded');
    const first = await carol.form('/w/notes/oauth/consent', { request_id: requestId, csrf, decision: 'approve' });
    assert.equal(first.status, 303);
    assert.equal((await carol.form('/w/notes/oauth/consent', { request_id: requestId, csrf, decision: 'approve' })).status, 403, 'replayed after use');
  });

  test('CS-02: an approval posted from another origin (a sibling wiki) is refused', async () => {
    const clientId = await registerClient();
    const response = await approve(carol, await carol.request(authorizeUrl(clientId)), 'approve', { origin: 'https://evil.robot.example' });
    assert.equal(response.status, 403);
    const crossSite = await approve(carol, await carol.request(authorizeUrl(clientId)), 'approve', { origin: 'null', 'sec-fetch-site': 'same-site' });
    assert.equal(crossSite.status, 403, 'a same-site (sibling wiki) form is refused even with an opaque Origin');
    const ownPage = await approve(carol, await carol.request(authorizeUrl(clientId)), 'approve', { origin: 'null', 'sec-fetch-site': 'same-origin' });
    assert.equal(ownPage.status, 303, 'our own page, as browsers send it under Referrer-Policy: no-referrer');
  });

  test('CS-03: consent and its error pages refuse to be framed', async () => {
    const clientId = await registerClient();
    for (const response of [await carol.request(authorizeUrl(clientId)), await carol.request(authorizeUrl('mcp_unknown'))]) {
      assert.match(response.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
    }
  });

  test('CS-04: approving one client never approves another for the same wiki', async () => {
    const first = await registerClient();
    await approve(carol, await carol.request(authorizeUrl(first)));
    const second = await registerClient({ client_name: 'Lookalike' });
    const response = await carol.request(authorizeUrl(second));
    assert.equal(response.status, 200, 'the consent page again');
    assert.match(await response.text(), /Allow access to/);
  });

  test('CS-05: the client name is escaped and marked unverified; the redirect host is always shown', async () => {
    const clientId = await registerClient({ client_name: '<img src=x onerror=alert(1)>\u202eevil' });
    const html = await (await carol.request(authorizeUrl(clientId))).text();
    assert.ok(!html.includes('<img src=x'), 'escaped');
    assert.ok(bodyText(html).includes('<img src=x onerror=alert(1)>\\u202Eevil'), 'shown as text, the override as an escape');
    assert.match(html, /not verified/);
    assert.match(html, /<code>app\.example<\/code>/);
  });

  test('CS-05: a registered name’s hidden characters are escapes on consent, dashboard, audit log', async () => {
    // Reads "Claudeevil.png" when the override is obeyed; the zero-width space and isolates hide too.
    const clientId = await registerClient({ client_name: 'Claude\u202Egnp.live\u200B \u2066x\u2069\u3164' });
    const shown = 'Claude\\u202Egnp.live\\u200B \\u2066x\\u2069\\u3164';
    const consentPage = await carol.request(authorizeUrl(clientId));
    const consentHtml = await consentPage.clone().text();
    assert.deepEqual(hiddenCharactersIn(consentHtml), [], 'nothing hidden anywhere in the consent page');
    assert.ok(bodyText(consentHtml).includes(shown), bodyText(consentHtml));
    await approve(carol, consentPage);
    const dashboard = await (await carol.request('/app/')).text();
    assert.deepEqual(hiddenCharactersIn(dashboard), [], 'nothing hidden in the connected apps');
    assert.ok(bodyText(dashboard).includes(shown));
    const registered = platform.logs.lines
      .map((line) => JSON.parse(line))
      .find((line) => line.event === 'oauth.client.registered' && line.clientId === clientId);
    assert.equal(registered.clientName, shown, 'the audit log line too');
  });

  test('CS-06: a read collaborator may approve, and only for wiki:read; asking for write alone is access_denied', async () => {
    const clientId = await registerClient();
    const mallory = new TestClient(platform.platform.app, platform.config.publicUrl);
    await platform.platform.deps.users.create({ did: MALLORY_DID, username: 'mallory', handle: 'mallory.test' }, 1).catch(() => {});
    mallory.cookies.set(
      'platform_token',
      (await platform.platform.deps.sessions.mint({ did: MALLORY_DID, handle: 'mallory.test', username: 'mallory' }, Math.floor(Date.now() / 1000))).token,
    );
    const wiki = (await platform.platform.deps.wikis.findBySlug('notes'))!;
    await platform.platform.deps.wikis.setMember({ wikiId: wiki.id, did: MALLORY_DID, handle: null, role: 'read' }, 1);
    try {
      assert.equal(
        deniedBackUrl(await (await mallory.request(authorizeUrl(clientId, { scope: 'wiki:write' }))).text()).searchParams.get('error'),
        'access_denied',
      );
      const page = await mallory.request(authorizeUrl(clientId));
      assert.equal(page.status, 200);
      const html = await page.clone().text();
      assert.match(html, /read and search pages/);
      assert.doesNotMatch(html, /create, change, rename and delete/);
      const code = location(await approve(mallory, page)).searchParams.get('code')!;
      const stored = await db().selectFrom('authorization_codes').select('scope').where('code_hash', '=', sha256(code)).executeTakeFirstOrThrow();
      assert.equal(stored.scope, 'wiki:read');
    } finally {
      await platform.platform.deps.wikis.removeMember(wiki.id, MALLORY_DID, 1);
    }
  });

  /** The "Back to the app" link of the page that refuses a consent request (RFC 6749 §4.1.2.1). */
  const deniedBackUrl = (html: string) => new URL(/<a href="([^"]+)" role="button">Back to /.exec(html)![1]!.replaceAll('&amp;', '&'));

  // CS-06: a person who cannot grant the wiki is told so on our page; the app learns access_denied (with state and iss) only through it.
  test('CS-06: someone who is neither owner nor collaborator sees why on our page, which sends the app access_denied and no code', async () => {
    const clientId = await registerClient();
    const mallory = new TestClient(platform.platform.app, platform.config.publicUrl);
    await platform.platform.deps.users.create({ did: MALLORY_DID, username: 'mallory', handle: 'mallory.test' }, 1).catch(() => {});
    const { token } = await platform.platform.deps.sessions.mint(
      { did: MALLORY_DID, handle: 'mallory.test', username: 'mallory' },
      Math.floor(Date.now() / 1000),
    );
    mallory.cookies.set('platform_token', token);
    const codes = await count('authorization_codes');
    const requests = await count('authorization_requests');
    const response = await mallory.request(authorizeUrl(clientId));
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('location'), null, 'the person sees the refusal before the app does');
    const html = await response.text();
    assert.match(bodyText(html), /Test App cannot use Carol’s notes/);
    assert.match(bodyText(html), /you do not have access to this wiki/);
    const back = deniedBackUrl(html);
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'st-1');
    assert.equal(back.searchParams.get('iss'), issuer);
    assert.equal(back.searchParams.get('code'), null);
    assert.equal(await count('authorization_codes'), codes);
    assert.equal(await count('authorization_requests'), requests, 'no consent request is waiting');
  });

  test('connected apps: the dashboard lists each grant and disconnecting one revokes it', async () => {
    const clientId = await registerClient({ client_name: 'Listed App' });
    await approve(carol, await carol.request(authorizeUrl(clientId)));
    const dashboard = await (await carol.request('/app/')).text();
    assert.match(dashboard, /Listed App/);
    assert.match(dashboard, /read &amp; write/);
    const grant = await db().selectFrom('grants').select('id').where('client_id', '=', clientId).executeTakeFirstOrThrow();
    const csrf = /action="\/app\/apps\/[^"]+\/revoke"><input type="hidden" name="csrf" value="([^"]+)"/.exec(dashboard)![1]!;
    assert.equal((await carol.form(`/app/apps/${grant.id}/revoke`, { csrf: 'forged' })).status, 403);
    assert.equal((await carol.form(`/app/apps/${grant.id}/revoke`, { csrf })).status, 303);
    assert.ok((await db().selectFrom('grants').select('revoked_at').where('id', '=', grant.id).executeTakeFirstOrThrow()).revoked_at);
    assert.doesNotMatch(await (await carol.request('/app/')).text(), /Listed App/);
    assert.equal((await carol.request(authorizeUrl(clientId))).status, 200, 'the app has to ask again');
  });

  test('denying consent sends access_denied with state and iss, by 303', async () => {
    const clientId = await registerClient();
    const response = await approve(carol, await carol.request(authorizeUrl(clientId)), 'deny');
    assert.equal(response.status, 303);
    const target = location(response);
    assert.equal(target.searchParams.get('error'), 'access_denied');
    assert.equal(target.searchParams.get('state'), 'st-1');
    assert.equal(target.searchParams.get('iss'), issuer);
  });
});
