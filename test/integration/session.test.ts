// Platform sessions, signup and error hygiene through the HTTP surface, in loopback (laptop) mode,
// logging in through the scriptable fake AS.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { SignJWT, base64url, decodeJwt, generateKeyPair } from 'jose';
import { CAROL_DID, FakeAtproto, MALLORY_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { loginThroughFake, signUp } from '../helpers/login-flow.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

describe('platform sessions and signup (loopback client)', () => {
  let fake: FakeAtproto;
  let platform: TestPlatform;
  let browser: TestClient;
  const deps = () => platform.platform.deps;
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    fake = await FakeAtproto.start();
    platform = await startTestPlatform({ ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1' });
  });
  after(async () => {
    await platform?.close();
    await fake?.close();
  });
  beforeEach(async () => {
    fake.behaviour = {};
    browser = new TestClient(platform.platform.app, platform.config.publicUrl);
    await deps().database.db.deleteFrom('users').execute();
    await deps().database.db.deleteFrom('pending_signups').execute();
  });

  async function me(client: TestClient) {
    const response = await client.request('/auth/me');
    return { status: response.status, body: await response.json() };
  }

  async function pendingSignup(did: string, handle: string | null = null) {
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const { sha256 } = await import('../../src/secrets.ts');
    await deps().pendingSignups.create(sha256(token), { did, handle, csrf, return_to: null, expires_at: now() + 900 });
    const client = new TestClient(platform.platform.app, platform.config.publicUrl);
    client.cookies.set('signup_token', token);
    return { client, csrf };
  }

  test('loopback client: client_id is http://localhost with the 127.0.0.1 redirect, no client assertion, no metadata document', async () => {
    await browser.form('/auth/login', { handle: 'carol.test' });
    const par = fake.requestsTo('/oauth/par').at(-1)!.form;
    const clientId = new URL(par.client_id!);
    assert.equal(clientId.origin, 'http://localhost');
    assert.equal(clientId.searchParams.get('redirect_uri'), `${platform.config.publicUrl}/auth/callback`);
    assert.equal(clientId.searchParams.get('scope'), 'atproto');
    assert.equal(par.redirect_uri, `${platform.config.publicUrl}/auth/callback`);
    assert.equal(par.client_assertion, undefined);
    assert.equal(par.scope, 'atproto');
    assert.equal(par.code_challenge_method, 'S256');
    assert.equal((await browser.request('/auth/client-metadata.json')).status, 404);
  });

  test('CK-01: the session cookie is HttpOnly, Secure, SameSite=Lax, Path=/, and lives as long as its JWT', async () => {
    const response = await signUp(browser, fake, 'carol');
    assert.equal(response.status, 303);
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('platform_token='))!;
    assert.ok(cookie);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/', 'Max-Age=86400'])
      assert.ok(cookie.includes(attribute), `${attribute} in ${cookie.replace(/=[^;]+/, '=…')}`);
    assert.ok(!/Domain=/i.test(cookie), 'host-only without COOKIE_DOMAIN');
    const claims = decodeJwt(browser.cookies.get('platform_token')!);
    assert.equal(claims.exp! - claims.iat!, 86400);
    assert.equal(claims.sub, CAROL_DID);
    assert.deepEqual((await me(browser)).body, { did: CAROL_DID, handle: 'carol.test', username: 'carol' });
  });

  test('CK-02: a cookie planted before login is never reused; login mints a fresh session', async () => {
    await signUp(new TestClient(platform.platform.app, platform.config.publicUrl), fake, 'carol');
    const attacker = await deps().sessions.mint({ did: MALLORY_DID, handle: 'mallory.test', username: 'mallory' }, now());
    browser.cookies.set('platform_token', attacker.token);
    const response = await loginThroughFake(browser, fake, 'carol.test');
    assert.equal(response.status, 303);
    const fresh = decodeJwt(browser.cookies.get('platform_token')!);
    assert.notEqual(browser.cookies.get('platform_token'), attacker.token);
    assert.notEqual(fresh.sid, attacker.claims.sid);
    assert.equal(fresh.sub, CAROL_DID);
    assert.equal((await me(browser)).body.did, CAROL_DID);
  });

  test('CK-04: tampered, forged, expired and unknown-key cookies are anonymous, never a 500', async () => {
    await signUp(browser, fake, 'carol');
    const valid = browser.cookies.get('platform_token')!;
    const [header, payload, signature] = valid.split('.');
    const jwks = await (await browser.request('/.well-known/jwks.json')).json();
    const swapped = base64url.encode(JSON.stringify({ ...decodeJwt(valid), sub: MALLORY_DID }));
    const noneHeader = base64url.encode(JSON.stringify({ alg: 'none', typ: 'platform+jwt' }));
    const hs256 = await new SignJWT({ ...decodeJwt(valid) })
      .setProtectedHeader({ alg: 'HS256', typ: 'platform+jwt', kid: jwks.keys[0].kid })
      .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
    const expired = await deps().sessions.mint({ did: CAROL_DID, handle: null, username: 'carol' }, now() - 3 * 86400);
    const { privateKey } = await generateKeyPair('ES256');
    const unknownKey = await new SignJWT({ ...decodeJwt(valid) })
      .setProtectedHeader({ alg: 'ES256', typ: 'platform+jwt', kid: jwks.keys[0].kid })
      .sign(privateKey);

    const forgeries = {
      'alg none': `${noneHeader}.${payload}.`,
      'HS256 keyed with the public key': hs256,
      'edited payload': `${header}.${swapped}.${signature}`,
      expired: expired.token,
      'signed by a key we do not publish': unknownKey,
      garbage: 'not-a-jwt',
    };
    for (const [name, token] of Object.entries(forgeries)) {
      const client = new TestClient(platform.platform.app, platform.config.publicUrl);
      client.cookies.set('platform_token', token);
      const response = await client.request('/auth/me');
      assert.equal(response.status, 401, name);
      const page = await client.request('/app/');
      assert.equal(page.status, 303, name);
      assert.match(page.headers.get('location')!, /^\/auth\/login/);
    }
    assert.ok(
      platform.logs.lines.some((line) => line.includes('session.invalid_token')),
      'logged as invalid',
    );
  });

  test('CK-05: two session cookies at once (cookie tossing) are both distrusted and cleared', async () => {
    await signUp(browser, fake, 'carol');
    const attacker = await deps().sessions.mint({ did: MALLORY_DID, handle: null, username: 'mallory' }, now());
    const response = await browser.request('/auth/me', {
      headers: { cookie: `platform_token=${browser.cookies.get('platform_token')}; platform_token=${attacker.token}` },
    });
    assert.equal(response.status, 401);
    assert.ok(response.headers.getSetCookie().some((line) => line.startsWith('platform_token=;') && /Max-Age=0/.test(line)));
  });

  test('SU-01, SU-03: reserved and malformed usernames are refused with 422 and a message; the pending signup survives', async () => {
    const { client, csrf } = await pendingSignup(CAROL_DID, 'carol.test');
    for (const name of [
      'admin',
      'API',
      'well-known',
      'mcp',
      'а' + 'lice',
      'al\u200bice',
      '-alice',
      'alice-',
      'xn--alice',
      'a_b',
      'a.b',
      'ab',
      'x'.repeat(31),
    ]) {
      const response = await client.form('/auth/signup', { username: name, csrf });
      assert.equal(response.status, 422, name);
      assert.match(await response.text(), /role="alert"/);
    }
    assert.equal(await deps().users.findByDid(CAROL_DID), undefined);
    const ok = await client.form('/auth/signup', { username: ' Carol ', csrf });
    assert.equal(ok.status, 303);
    assert.equal((await deps().users.findByDid(CAROL_DID))!.username, 'carol', 'stored normalised');
  });

  test('SU-02: a name that differs only in case from an existing one is taken (409)', async () => {
    const first = await pendingSignup(CAROL_DID);
    assert.equal((await first.client.form('/auth/signup', { username: 'alice', csrf: first.csrf })).status, 303);
    const second = await pendingSignup(MALLORY_DID);
    const response = await second.client.form('/auth/signup', { username: 'ALICE', csrf: second.csrf });
    assert.equal(response.status, 409);
    assert.match(await response.text(), /already taken/);
  });

  test('SU-04: 20 concurrent signups for one username from different DIDs: exactly one wins, the rest 409', async () => {
    const contenders = await Promise.all(Array.from({ length: 20 }, (_, i) => pendingSignup(`did:plc:race${String(i).padStart(20, 'a')}`)));
    const statuses = await Promise.all(contenders.map(({ client, csrf }) => client.form('/auth/signup', { username: 'popular', csrf }).then((r) => r.status)));
    assert.equal(statuses.filter((s) => s === 303).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 19, statuses.join(','));
    const rows = await deps().database.db.selectFrom('users').select('did').where('username', '=', 'popular').execute();
    assert.equal(rows.length, 1);
  });

  test('SU-05: signup needs the pending token of this browser, a valid CSRF token and our Origin; the DID comes from the server', async () => {
    const stranger = new TestClient(platform.platform.app, platform.config.publicUrl);
    assert.equal((await stranger.form('/auth/signup', { username: 'carol', csrf: 'x' })).status, 401, 'no pending signup');

    const { client, csrf } = await pendingSignup(CAROL_DID);
    assert.equal((await client.form('/auth/signup', { username: 'carol', csrf: 'wrong' })).status, 403, 'bad CSRF token');
    const crossSite = await client.form('/auth/signup', { username: 'carol', csrf }, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403, 'foreign Origin');
    assert.equal((await client.form('/auth/signup', { username: 'carol', csrf, did: MALLORY_DID })).status, 303);
    assert.equal((await deps().users.findByDid(CAROL_DID))!.username, 'carol');
    assert.equal(await deps().users.findByDid(MALLORY_DID), undefined, 'a did field in the form is ignored');

    const replay = new TestClient(platform.platform.app, platform.config.publicUrl);
    replay.cookies.set('signup_token', client.cookies.get('signup_token') ?? 'used-token');
    assert.equal((await replay.form('/auth/signup', { username: 'carol2', csrf })).status, 401, 'token is single use');

    await deps().database.db.deleteFrom('users').execute();
    const expiring = await pendingSignup(MALLORY_DID);
    await deps()
      .database.db.updateTable('pending_signups')
      .set({ expires_at: now() - 1 })
      .execute();
    assert.equal((await expiring.client.form('/auth/signup', { username: 'mallory', csrf: expiring.csrf })).status, 401, 'expired token');
  });

  test('SU-06: the same DID finishing signup in two tabs ends in one account, signed in', async () => {
    const tabA = await pendingSignup(CAROL_DID);
    const tabB = await pendingSignup(CAROL_DID);
    assert.equal((await tabA.client.form('/auth/signup', { username: 'carol', csrf: tabA.csrf })).status, 303);
    const second = await tabB.client.form('/auth/signup', { username: 'carol-two', csrf: tabB.csrf });
    assert.equal(second.status, 303);
    assert.equal((await me(tabB.client)).body.username, 'carol');
    const rows = await deps().database.db.selectFrom('users').select('username').where('did', '=', CAROL_DID).execute();
    assert.deepEqual(rows, [{ username: 'carol' }]);
  });

  test('logout ends the session, clears the cookie and revokes the atproto tokens at the account server', async () => {
    await signUp(browser, fake, 'carol');
    const revoked = fake.revoked.length;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await browser.request('/auth/logout')).text())![1]!;
    const response = await browser.form('/auth/logout', { csrf });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /You are logged out/);
    assert.equal(browser.cookies.has('platform_token'), false);
    assert.equal((await me(browser)).status, 401);
    assert.ok(fake.revoked.length > revoked, 'atproto tokens revoked');
    assert.equal(await deps().database.db.selectFrom('atproto_sessions').select('key').where('key', '=', CAROL_DID).executeTakeFirst(), undefined);
  });

  test('returning users skip signup and get their handle refreshed', async () => {
    await signUp(browser, fake, 'carol');
    await deps().users.updateHandle(CAROL_DID, 'old-handle.test', now());
    const again = new TestClient(platform.platform.app, platform.config.publicUrl);
    const response = await loginThroughFake(again, fake, 'carol.test');
    assert.equal(response.headers.get('location'), '/app/');
    assert.equal((await me(again)).body.handle, 'carol.test');
  });

  test('return_to: same-origin paths are honoured; other origins and scheme-relative URLs are dropped', async () => {
    const honoured = await browser.form('/auth/login', { handle: 'carol.test', return_to: '/app/?tab=keys' });
    assert.equal(honoured.status, 303);
    await signUp(browser, fake, 'carol');
    const client = new TestClient(platform.platform.app, platform.config.publicUrl);
    await client.form('/auth/login', { handle: 'carol.test', return_to: '/app/?tab=keys' });
    const state = fake.requestsTo('/oauth/par').at(-1)!.form.state!;
    const back = await client.request(`/auth/callback?${new URLSearchParams({ code: 'c', state, iss: fake.url })}`);
    assert.equal(back.headers.get('location'), '/app/?tab=keys');

    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const page = await (await browser.request(`/auth/login?return_to=${encodeURIComponent(evil)}`)).text();
      assert.ok(!page.includes('name="return_to"'), evil);
    }
  });

  test('DB-05: if storing the user fails after the token exchange, the atproto tokens are revoked and no session exists', async () => {
    const users = deps().users;
    const original = users.findByDid;
    users.findByDid = async () => {
      throw new Error('database unavailable');
    };
    try {
      const revoked = fake.revoked.length;
      const response = await loginThroughFake(browser, fake, 'carol.test');
      assert.equal(response.status, 500);
      assert.ok(fake.revoked.length > revoked, 'tokens revoked');
      assert.equal(browser.cookies.has('platform_token'), false);
      assert.equal(browser.cookies.has('signup_token'), false);
    } finally {
      users.findByDid = original;
    }
  });

  test('IN-05: an unexpected failure is a generic page or JSON with a reference, never internals', async () => {
    await signUp(browser, fake, 'carol');
    const users = deps().users;
    const original = users.findByDid;
    users.findByDid = async () => {
      throw new Error('SELECT * FROM users WHERE did = ? at /work/main/src/store/users.ts:42 (password=hunter2)');
    };
    try {
      const page = await browser.request('/app/');
      assert.equal(page.status, 500);
      const html = await page.text();
      assert.match(html, /internal error/);
      assert.match(html, /Reference: [0-9a-f-]{36}/);
      const json = await browser.request('/auth/me');
      assert.equal(json.status, 500);
      assert.deepEqual(await json.json(), { error: 'server_error', error_description: 'An internal error occurred. Please try again in a moment.' });
      for (const response of [page, json]) {
        assert.equal(response.headers.get('x-powered-by'), null);
        assert.equal(response.headers.get('cache-control'), 'no-store');
      }
      for (const leak of ['SELECT', '/work/', 'users.ts', 'hunter2', 'at ']) assert.ok(!html.includes(leak), leak);
    } finally {
      users.findByDid = original;
    }
  });

  test('IN-06: what a user typed is escaped on every page it is echoed on; JSON is nosniff', async () => {
    const hostile = '"><svg onload=alert(1)><script>alert(2)</script>';
    const page = await (await browser.form('/auth/login', { handle: hostile })).text();
    assert.ok(!page.includes('<script>alert'), 'script not echoed raw');
    assert.ok(!page.includes('<svg onload'), 'markup not echoed raw');
    assert.ok(page.includes('&lt;script&gt;') || page.includes('&quot;&gt;'));
    const json = await browser.request('/auth/me');
    assert.match(json.headers.get('content-type')!, /^application\/json/);
    assert.equal(json.headers.get('x-content-type-options'), 'nosniff');
  });

  test('IN-01: a form body over 4 KiB is refused with 413 before anything is stored', async () => {
    const { client, csrf } = await pendingSignup(CAROL_DID);
    const response = await client.form('/auth/signup', { username: 'carol', csrf, padding: 'x'.repeat(5000) });
    assert.equal(response.status, 413);
    assert.equal(await deps().users.findByDid(CAROL_DID), undefined);
  });

  test('IN-01: request headers over 16 KiB are refused with 431 by the server', async () => {
    const response = await fetch(`${platform.url}/auth/login`, { headers: { 'x-padding': 'x'.repeat(17 * 1024) } });
    assert.equal(response.status, 431);
  });

  test('IN-03: a repeated form field is a 400, never silently merged', async () => {
    const response = await browser.request('/auth/login', {
      method: 'POST',
      body: 'handle=carol.test&handle=mallory.test',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: platform.config.publicUrl },
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /more than once/);
  });

  test('SS-07: login starts are rate limited per client address (429 with Retry-After)', async () => {
    const { LOGIN_RATE_LIMIT } = await import('../../src/atproto/routes.tsx');
    const post = () =>
      fetch(`${platform.url}/auth/login`, {
        method: 'POST',
        body: 'handle=not..valid',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: platform.config.publicUrl },
      });
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_RATE_LIMIT; i++) statuses.push((await post()).status);
    assert.deepEqual(new Set(statuses), new Set([400]), 'under the limit every attempt is answered');
    const limited = await post();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '60');
    assert.match(await limited.text(), /Too many login attempts/);
  });

  test('the pages carry a strict CSP, no framing, and no referrer', async () => {
    const response = await browser.request('/auth/login');
    const csp = response.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    const css = await browser.request('/static/pico.min.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type')!, /text\/css/);
  });
});
