// The token endpoint's code grant on SQLite and PostgreSQL (catalogue PK-03/04, AC-01..06, AS-04, IN-04),
// refresh rotation (RT), revocation (RV) and introspection (IT-01).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { mintAccessToken, type AccessTokenClaims } from '../../src/authserver/tokens.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { createTestDatabase, TEST_DATABASES, type TestDatabase } from '../helpers/databases.ts';
import { streamedBody, TestClient } from '../helpers/http-client.ts';
import { accessTokenFor, wikiTokenFor } from '../helpers/mcp.ts';
import { codeIn, notesClient, PKCE, type OAuthTestClient } from '../helpers/oauth-client.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const REDIRECT = 'https://app.example/callback';

for (const kind of TEST_DATABASES) {
  describe(`token endpoint, authorization code grant (${kind})`, () => {
    let fixture: WikiFixture;
    let database: TestDatabase;
    let platform: TestPlatform;
    let carol: TestClient;
    let issuer: string;
    let oauth: OAuthTestClient;
    let clockOffset = 0;
    const now = () => Math.floor(Date.now() / 1000) + clockOffset;

    before(async () => {
      database = await createTestDatabase(kind);
      fixture = await startWikiFixture({ DATABASE_URL: database.url }, { now });
      ({ platform, carol, issuer } = fixture);
      oauth = notesClient(fixture, REDIRECT);
    });
    after(async () => {
      await fixture?.close();
      await database?.drop();
    });

    const db = () => platform.platform.deps.database.db;

    const registerClient = (method: 'none' | 'client_secret_post' | 'client_secret_basic' = 'none', grantTypes = ['authorization_code', 'refresh_token']) =>
      oauth.registerClient({ token_endpoint_auth_method: method, grant_types: grantTypes });
    const grantOf = async (clientId: string) => db().selectFrom('grants').selectAll().where('client_id', '=', clientId).executeTakeFirstOrThrow();
    /** The status of a real tools/list call at a wiki's MCP endpoint with `token`. */
    const mcpStatus = (token: string, slug = 'notes') =>
      new TestClient(platform.platform.app, platform.config.publicUrl)
        .request(`/w/${slug}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
        })
        .then((r) => r.status);

    test('AS-04: a public client redeems its code for an at+jwt bound to the wiki MCP URL; no-store', async () => {
      const { clientId } = await registerClient();
      const code = await oauth.code(clientId);
      const response = await oauth.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId, redirect_uri: REDIRECT });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const body = await response.json();
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.scope, 'wiki:read wiki:write');
      assert.ok(body.expires_in >= 3600);
      const header = decodeProtectedHeader(body.access_token);
      assert.deepEqual([header.typ, header.alg], ['at+jwt', 'ES256']);
      const jwks = await (await carol.request('/w/notes/oauth/jwks.json')).json();
      const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), { issuer, audience: `${issuer}/mcp`, typ: 'at+jwt' });
      assert.equal(payload.sub, CAROL_DID);
      assert.equal(payload.client_id, clientId);
      assert.equal(payload.wiki_id, (await platform.platform.deps.wikis.findBySlug('notes'))!.id);
      assert.ok(payload.jti && payload.iat && payload.exp);
    });

    test('confidential clients authenticate with client_secret_post or HTTP Basic; a wrong secret is invalid_client', async () => {
      const post = await registerClient('client_secret_post');
      assert.equal(
        (
          await oauth.token({
            grant_type: 'authorization_code',
            code: await oauth.code(post.clientId),
            code_verifier: PKCE.verifier,
            client_id: post.clientId,
            client_secret: post.secret!,
          })
        ).status,
        200,
      );
      const basic = await registerClient('client_secret_basic');
      const authorization = `Basic ${Buffer.from(`${basic.clientId}:${basic.secret}`).toString('base64')}`;
      assert.equal(
        (await oauth.token({ grant_type: 'authorization_code', code: await oauth.code(basic.clientId), code_verifier: PKCE.verifier }, { authorization }))
          .status,
        200,
      );
      const wrong = await oauth.token({
        grant_type: 'authorization_code',
        code: await oauth.code(post.clientId),
        code_verifier: PKCE.verifier,
        client_id: post.clientId,
        client_secret: 'wrong',
      });
      assert.equal(wrong.status, 401);
      assert.equal((await wrong.json()).error, 'invalid_client');
      const missing = await oauth.token({ grant_type: 'authorization_code', code: 'x', code_verifier: PKCE.verifier, client_id: post.clientId });
      assert.equal(missing.status, 401, 'a confidential client without its secret');
    });

    test('PK-03: a wrong, missing, short or challenge-equal verifier is invalid_grant, consumes the code, revokes nothing', async () => {
      const { clientId } = await registerClient();
      for (const verifier of ['A'.repeat(43), undefined, PKCE.verifier.slice(1), PKCE.challenge]) {
        const code = await oauth.code(clientId);
        const response = await oauth.token({ grant_type: 'authorization_code', code, client_id: clientId, ...(verifier ? { code_verifier: verifier } : {}) });
        assert.equal(response.status, 400, String(verifier));
        assert.equal((await response.json()).error, 'invalid_grant');
        const retry = await oauth.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId });
        assert.equal(retry.status, 400, 'the code was consumed by the failed attempt');
      }
      assert.equal((await grantOf(clientId)).revoked_at, null);
    });

    test('PK-04: a code row without a challenge is never redeemable', async () => {
      const { clientId } = await registerClient();
      const code = await oauth.code(clientId);
      const { sha256 } = await import('../../src/secrets.ts');
      await db().updateTable('authorization_codes').set({ code_challenge: '' }).where('code_hash', '=', sha256(code)).execute();
      const withVerifier = await oauth.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId });
      assert.equal((await withVerifier.json()).error, 'invalid_request');
      const code2 = await oauth.code(clientId);
      await db().updateTable('authorization_codes').set({ code_challenge: '' }).where('code_hash', '=', sha256(code2)).execute();
      assert.equal((await (await oauth.token({ grant_type: 'authorization_code', code: code2, client_id: clientId })).json()).error, 'invalid_grant');
    });

    test('AC-01: replaying a redeemed code is invalid_grant, and the tokens it issued stop working', async () => {
      const { clientId } = await registerClient();
      const code = await oauth.code(clientId);
      const request = { grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId };
      const issued = await oauth.token(request);
      assert.equal(issued.status, 200);
      const { access_token: accessToken, refresh_token: refreshToken } = await issued.json();
      assert.equal(await mcpStatus(accessToken), 200, 'the access token works before the replay');
      const replay = await oauth.token(request);
      assert.equal(replay.status, 400);
      assert.equal((await replay.json()).error, 'invalid_grant');
      assert.equal(await mcpStatus(accessToken), 401, 'the access token is refused at the MCP endpoint');
      const refreshed = await oauth.refresh(clientId, refreshToken);
      assert.equal(refreshed.status, 400);
      assert.equal((await refreshed.json()).error, 'invalid_grant', 'the refresh token is refused at /token');
      clockOffset = 30;
      try {
        assert.equal((await (await oauth.token(request)).json()).error, 'invalid_grant', 'a replay 30 s later too');
        assert.equal(await mcpStatus(accessToken), 401);
      } finally {
        clockOffset = 0;
      }
      assert.ok(
        platform.logs.lines.some((line) => line.includes('oauth.code.replayed')),
        'audit event',
      );
    });

    test('AC-02: a replay with a wrong verifier or without client authentication revokes nothing', async () => {
      const confidential = await registerClient('client_secret_post');
      const code = await oauth.code(confidential.clientId);
      assert.equal(
        (
          await oauth.token({
            grant_type: 'authorization_code',
            code,
            code_verifier: PKCE.verifier,
            client_id: confidential.clientId,
            client_secret: confidential.secret!,
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await oauth.token({
            grant_type: 'authorization_code',
            code,
            code_verifier: 'B'.repeat(43),
            client_id: confidential.clientId,
            client_secret: confidential.secret!,
          })
        ).status,
        400,
      );
      assert.equal((await oauth.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: confidential.clientId })).status, 401);
      assert.equal((await grantOf(confidential.clientId)).revoked_at, null);
    });

    test('AC-03, AC-04: a code redeemed by another client, or with another redirect_uri, is invalid_grant', async () => {
      const a = await registerClient();
      const b = await registerClient();
      assert.equal(
        (
          await (
            await oauth.token({ grant_type: 'authorization_code', code: await oauth.code(a.clientId), code_verifier: PKCE.verifier, client_id: b.clientId })
          ).json()
        ).error,
        'invalid_grant',
      );
      for (const redirect of [`${REDIRECT}2`, `${REDIRECT}/`]) {
        const response = await oauth.token({
          grant_type: 'authorization_code',
          code: await oauth.code(a.clientId),
          code_verifier: PKCE.verifier,
          client_id: a.clientId,
          redirect_uri: redirect,
        });
        assert.equal((await response.json()).error, 'invalid_grant', redirect);
      }
    });

    test('AC-05: an expired code, or one whose person lost the wiki, is invalid_grant', async () => {
      const { clientId } = await registerClient();
      const code = await oauth.code(clientId);
      await db().updateTable('authorization_codes').set({ expires_at: 1 }).execute();
      assert.equal(
        (await (await oauth.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId })).json()).error,
        'invalid_grant',
      );
      const code2 = await oauth.code(clientId);
      await db().updateTable('wikis').set({ owner_did: 'did:plc:someoneelseaaaaaaaaaaaaa' }).execute();
      try {
        assert.equal(
          (await (await oauth.token({ grant_type: 'authorization_code', code: code2, code_verifier: PKCE.verifier, client_id: clientId })).json()).error,
          'invalid_grant',
        );
      } finally {
        await db().updateTable('wikis').set({ owner_did: CAROL_DID }).execute();
      }
    });

    test('AC-06: 20 parallel redemptions of one code: exactly one 200, the rest invalid_grant, no 500', async () => {
      const { clientId } = await registerClient();
      const code = await oauth.code(clientId);
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () =>
          oauth.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId }).then((r) => r.status),
        ),
      );
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 400).length, 19, statuses.join(','));
      assert.ok((await grantOf(clientId)).revoked_at, 'the losers are valid replays: the family is revoked');
    });

    test('IN-04: wrong content type, GET, unknown grant types and repeated parameters', async () => {
      const { clientId } = await registerClient();
      const json = await new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/token', {
        method: 'POST',
        body: JSON.stringify({ grant_type: 'authorization_code' }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(json.status, 400);
      assert.equal((await json.json()).error, 'invalid_request');
      assert.equal((await carol.request('/w/notes/oauth/token')).status, 405);
      for (const grantType of ['password', 'client_credentials', 'urn:unknown']) {
        const response = await oauth.token({ grant_type: grantType, client_id: clientId });
        assert.equal(response.status, 400);
        assert.equal((await response.json()).error, 'unsupported_grant_type');
        assert.equal(response.headers.get('cache-control'), 'no-store');
      }
      const repeated = await new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/token', {
        method: 'POST',
        body: `grant_type=authorization_code&code=a&code=b&client_id=${clientId}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal((await repeated.json()).error, 'invalid_request');
      assert.equal((await oauth.token({ grant_type: 'authorization_code', client_id: clientId, padding: 'x'.repeat(9000) })).status, 413);
    });

    async function tokensFor(clientId: string) {
      const response = await oauth.redeem(clientId, await oauth.code(clientId));
      return (await response.json()) as { access_token: string; refresh_token?: string; scope: string };
    }
    const liveInFamily = async (clientId: string) =>
      (await db().selectFrom('refresh_tokens').select('token_hash').where('client_id', '=', clientId).where('rotated_at', 'is', null).execute()).length;

    test('refresh tokens are issued only to clients registered for them (no offline_access needed)', async () => {
      assert.ok((await tokensFor((await registerClient()).clientId)).refresh_token);
      assert.equal((await tokensFor((await registerClient('none', ['authorization_code'])).clientId)).refresh_token, undefined);
    });

    test('RT-01: a refresh returns a new access token and a new refresh token with the same scope and resource', async () => {
      const { clientId } = await registerClient();
      const first = await tokensFor(clientId);
      const response = await oauth.refresh(clientId, first.refresh_token!);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const second = await response.json();
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.notEqual(second.access_token, first.access_token);
      assert.equal(second.scope, first.scope);
      assert.equal(await liveInFamily(clientId), 1);
    });

    test('grace window: a retry with the just-rotated token gets the same successor; never two live tokens', async () => {
      const { clientId } = await registerClient();
      const first = await tokensFor(clientId);
      const second = await (await oauth.refresh(clientId, first.refresh_token!)).json();
      const retry = await (await oauth.refresh(clientId, first.refresh_token!)).json();
      assert.equal(retry.refresh_token, second.refresh_token);
      assert.equal(await liveInFamily(clientId), 1);
    });

    test('RT-02: reuse after the grace window, or after the successor was itself used, revokes the whole family', async () => {
      const { clientId } = await registerClient();
      const first = await tokensFor(clientId);
      const second = await (await oauth.refresh(clientId, first.refresh_token!)).json();
      const third = await (await oauth.refresh(clientId, second.refresh_token!)).json();
      const reuse = await oauth.refresh(clientId, first.refresh_token!);
      assert.equal((await reuse.json()).error, 'invalid_grant');
      assert.equal((await (await oauth.refresh(clientId, third.refresh_token!)).json()).error, 'invalid_grant', 'the live token died with the family');
      assert.ok(platform.logs.lines.some((line) => line.includes('oauth.refresh.replayed')));

      const other = await registerClient();
      const a = await tokensFor(other.clientId);
      const b = await (await oauth.refresh(other.clientId, a.refresh_token!)).json();
      clockOffset = 61;
      try {
        assert.equal((await (await oauth.refresh(other.clientId, a.refresh_token!)).json()).error, 'invalid_grant', 'after the grace window');
        assert.equal((await (await oauth.refresh(other.clientId, b.refresh_token!)).json()).error, 'invalid_grant');
      } finally {
        clockOffset = 0;
      }
    });

    test('RT-03: another client presenting the token is refused and the family survives', async () => {
      const a = await registerClient();
      const b = await registerClient();
      const tokens = await tokensFor(a.clientId);
      assert.equal((await (await oauth.refresh(b.clientId, tokens.refresh_token!)).json()).error, 'invalid_grant');
      assert.equal((await oauth.refresh(a.clientId, tokens.refresh_token!)).status, 200);
    });

    test('RT-04: a wider scope or another resource is refused without consuming the token', async () => {
      const { clientId } = await registerClient();
      const approved = await oauth.consent(await oauth.authorize(clientId, { scope: 'wiki:read', state: undefined }));
      const code = codeIn(approved);
      const readOnly = await (await oauth.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId })).json();
      assert.equal(readOnly.scope, 'wiki:read');
      assert.equal((await (await oauth.refresh(clientId, readOnly.refresh_token, { scope: 'wiki:read wiki:write' })).json()).error, 'invalid_scope');
      assert.equal(
        (await (await oauth.refresh(clientId, readOnly.refresh_token, { resource: `${platform.config.publicUrl}/w/other/mcp` })).json()).error,
        'invalid_target',
      );
      assert.equal((await oauth.refresh(clientId, readOnly.refresh_token)).status, 200, 'not consumed by the refused requests');
    });

    test('RT-05: 10 parallel refreshes with one token: all get the same successor, one live token remains', async () => {
      const { clientId } = await registerClient();
      const tokens = await tokensFor(clientId);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => oauth.refresh(clientId, tokens.refresh_token!).then(async (r) => ({ status: r.status, body: await r.json() }))),
      );
      assert.ok(
        results.every((r) => r.status === 200),
        results.map((r) => r.status).join(','),
      );
      assert.equal(new Set(results.map((r) => r.body.refresh_token)).size, 1);
      assert.equal(await liveInFamily(clientId), 1);
    });

    test('RT-06: expired, revoked-grant and forged refresh tokens all get the same answer', async () => {
      const { clientId } = await registerClient();
      const expired = await tokensFor(clientId);
      const { sha256 } = await import('../../src/secrets.ts');
      await db().updateTable('refresh_tokens').set({ expires_at: 1 }).where('token_hash', '=', sha256(expired.refresh_token!)).execute();
      const bodies = [
        await (await oauth.refresh(clientId, expired.refresh_token!)).text(),
        await (await oauth.refresh(clientId, `${expired.refresh_token!.slice(0, -1)}A`)).text(),
      ];
      const other = await registerClient();
      const revoked = await tokensFor(other.clientId);
      await db().updateTable('grants').set({ revoked_at: 1 }).where('client_id', '=', other.clientId).execute();
      bodies.push(await (await oauth.refresh(other.clientId, revoked.refresh_token!)).text());
      assert.equal(new Set(bodies).size, 1, bodies.join(' | '));
      assert.equal(JSON.parse(bodies[0]!).error, 'invalid_grant');
    });

    const mcp = (accessToken: string, call: { name: string; arguments: Record<string, unknown> }) =>
      new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/mcp', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: call }),
      });
    const writeCall = (path: string) => ({ name: 'write_note', arguments: { path, content: 'written?' } });

    test('RT-04: a narrower scope narrows only the new access token: a write at /mcp is 403', async () => {
      const { clientId } = await registerClient();
      const granted = await tokensFor(clientId);
      assert.equal(granted.scope, 'wiki:read wiki:write');
      for (const wider of ['wiki:read wiki:write wiki:admin', 'wiki:admin']) {
        const refused = await oauth.refresh(clientId, granted.refresh_token!, { scope: wider });
        assert.equal(refused.status, 400, wider);
        assert.equal((await refused.json()).error, 'invalid_scope', wider);
      }
      const response = await oauth.refresh(clientId, granted.refresh_token!, { scope: 'wiki:read' });
      assert.equal(response.status, 200, 'not consumed by the refused requests');
      const narrowed = await response.json();
      assert.equal(narrowed.scope, 'wiki:read');
      const jwks = await (await carol.request('/w/notes/oauth/jwks.json')).json();
      const verified = { issuer, audience: `${issuer}/mcp`, typ: 'at+jwt' };
      const { payload } = await jwtVerify(narrowed.access_token, createLocalJWKSet(jwks), verified);
      assert.equal(payload.scope, 'wiki:read');

      const write = await mcp(narrowed.access_token, writeCall('RT-04 narrowed'));
      assert.equal(write.status, 403);
      assert.equal((await write.json()).error, 'insufficient_scope');
      assert.match(write.headers.get('www-authenticate')!, /error="insufficient_scope"/);
      const read = await mcp(narrowed.access_token, { name: 'list_notes', arguments: {} });
      assert.equal(read.status, 200, 'it still reads');

      // The refresh token still stands for the whole grant: the next refresh may ask for all of it again.
      const everything = { scope: 'wiki:read wiki:write' };
      const restored = await (await oauth.refresh(clientId, narrowed.refresh_token, everything)).json();
      assert.equal(restored.scope, 'wiki:read wiki:write');
      assert.equal((await mcp(restored.access_token, writeCall('RT-04 restored'))).status, 200);
      const wiki = (await platform.platform.deps.wikis.findBySlug('notes'))!;
      const written = (await platform.platform.deps.pages.list(wiki.id, { limit: 100 })).items.map((page) => page.path);
      assert.ok(written.includes('RT-04 restored') && !written.includes('RT-04 narrowed'), written.join(', '));
    });

    test('RT-06: a refresh token dies 30 days after its last use, 90 days after the code, however used', async () => {
      const DAY = 24 * 60 * 60;
      const deadBody = await (await oauth.refresh((await registerClient()).clientId, 'never-issued')).text();
      const assertDead = async (clientId: string, token: string, why: string) => {
        const response = await oauth.refresh(clientId, token);
        assert.equal(response.status, 400, why);
        assert.equal(await response.text(), deadBody, `${why}: the same answer as for a token that never existed`);
      };
      const at = (days: number) => (clockOffset = Math.floor(days * DAY));
      try {
        // Idle: unused for 30 days.
        const idle = await registerClient();
        const idleToken = (await tokensFor(idle.clientId)).refresh_token!;
        at(30);
        await assertDead(idle.clientId, idleToken, 'unused for 30 days');

        // Idle counts from the last use: used on day 20, alive on day 49, dead 30 days after that use.
        at(0);
        const used = await registerClient();
        let token = (await tokensFor(used.clientId)).refresh_token!;
        at(20);
        token = (await (await oauth.refresh(used.clientId, token)).json()).refresh_token;
        at(49);
        const alive = await oauth.refresh(used.clientId, token);
        assert.equal(alive.status, 200, 'day 49: 29 days after its last use');
        token = (await alive.json()).refresh_token;
        at(79);
        await assertDead(used.clientId, token, 'unused from day 49 to day 79');

        // Absolute: used every 29 days, it still ends 90 days after the code was redeemed.
        at(0);
        const regular = await registerClient();
        token = (await tokensFor(regular.clientId)).refresh_token!;
        for (const day of [29, 58, 87, 89.9]) {
          at(day);
          const response = await oauth.refresh(regular.clientId, token);
          assert.equal(response.status, 200, `day ${day}`);
          token = (await response.json()).refresh_token;
        }
        at(90);
        await assertDead(regular.clientId, token, 'day 90, although last used hours ago');
      } finally {
        clockOffset = 0;
      }
    });

    const post = (path: string, form: Record<string, string>) =>
      new TestClient(platform.platform.app, platform.config.publicUrl).request(path, {
        method: 'POST',
        body: new URLSearchParams(form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });

    test('RV-01: revoking a refresh token (any hint) or an access token revokes the grant behind it', async () => {
      for (const hint of [undefined, 'refresh_token', 'access_token']) {
        const { clientId } = await registerClient();
        const tokens = await tokensFor(clientId);
        const response = await post('/w/notes/oauth/revoke', { token: tokens.refresh_token!, client_id: clientId, ...(hint ? { token_type_hint: hint } : {}) });
        assert.equal(response.status, 200, String(hint));
        assert.equal(await response.text(), '');
        assert.equal((await (await oauth.refresh(clientId, tokens.refresh_token!)).json()).error, 'invalid_grant');
        assert.deepEqual(
          await (await post('/w/notes/oauth/introspect', { token: tokens.access_token, client_id: clientId })).json(),
          { active: false },
          'its access tokens die too',
        );
      }
      const { clientId } = await registerClient();
      const tokens = await tokensFor(clientId);
      assert.equal((await post('/w/notes/oauth/revoke', { token: tokens.access_token, client_id: clientId })).status, 200);
      assert.equal((await (await oauth.refresh(clientId, tokens.refresh_token!)).json()).error, 'invalid_grant', 'revoking the access token ended the grant');
    });

    test('RV-02: garbage, revoked, or foreign tokens are 200 (no oracle); a missing token is invalid_request; GET is 405', async () => {
      const { clientId } = await registerClient();
      const tokens = await tokensFor(clientId);
      await post('/w/notes/oauth/revoke', { token: tokens.refresh_token!, client_id: clientId });
      for (const token of ['garbage', tokens.refresh_token!, tokens.access_token.replace(/.$/, 'A'), 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2V2aWwifQ.']) {
        assert.equal((await post('/w/notes/oauth/revoke', { token, client_id: clientId })).status, 200);
      }
      const missing = await post('/w/notes/oauth/revoke', { client_id: clientId });
      assert.equal(missing.status, 400);
      assert.equal((await missing.json()).error, 'invalid_request');
      assert.equal((await carol.request('/w/notes/oauth/revoke')).status, 405);
    });

    test("RV-03: another client cannot revoke a client's token: silently for public clients, an error for authenticated ones", async () => {
      const a = await registerClient();
      const tokens = await tokensFor(a.clientId);
      const publicB = await registerClient();
      assert.equal((await post('/w/notes/oauth/revoke', { token: tokens.refresh_token!, client_id: publicB.clientId })).status, 200);
      const confidentialB = await registerClient('client_secret_post');
      assert.equal(
        (await post('/w/notes/oauth/revoke', { token: tokens.refresh_token!, client_id: confidentialB.clientId, client_secret: confidentialB.secret! })).status,
        400,
      );
      assert.equal((await oauth.refresh(a.clientId, tokens.refresh_token!)).status, 200, "A's token is still valid");
    });

    test('IN-01: /revoke, /token, /introspect refuse bodies over 8 KiB with 413, unread past the cap', async () => {
      const { clientId } = await registerClient();
      const tokens = await tokensFor(clientId);
      const revoking = { token: tokens.refresh_token!, client_id: clientId };
      const padded = await post('/w/notes/oauth/revoke', { ...revoking, padding: 'x'.repeat(9000) });
      assert.equal(padded.status, 413);
      assert.equal(padded.headers.get('cache-control'), 'no-store');
      assert.equal((await padded.json()).error, 'invalid_request');
      // Without Content-Length the cap must still hold while reading: 8 MiB offered, little taken.
      for (const endpoint of ['revoke', 'token', 'introspect']) {
        const streamed = streamedBody(`token=${tokens.refresh_token}&client_id=${clientId}&padding=`, 8 * 1024 * 1024);
        const client = new TestClient(platform.platform.app, platform.config.publicUrl);
        const form = { 'content-type': 'application/x-www-form-urlencoded' };
        const response = await client.request(`/w/notes/oauth/${endpoint}`, streamed.post(form));
        assert.equal(response.status, 413, endpoint);
        assert.equal((await response.json()).error, 'invalid_request', endpoint);
        assert.ok(streamed.pulled() <= 64 * 1024, `${endpoint}: read ${streamed.pulled()} bytes of an oversized body`);
      }
      assert.equal((await oauth.refresh(clientId, tokens.refresh_token!)).status, 200, 'nothing was revoked');
    });

    const introspect = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/introspect', {
        method: 'POST',
        body: new URLSearchParams(form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
    /** An access token signed with our keys for a real grant of `clientId`, with claims overridden. */
    async function mintFor(clientId: string, claims: Partial<AccessTokenClaims>) {
      const notes = (await platform.platform.deps.wikis.findBySlug('notes'))!;
      const grant = await grantOf(clientId);
      const base: AccessTokenClaims = {
        issuer,
        audience: `${issuer}/mcp`,
        subject: CAROL_DID,
        clientId,
        scope: 'wiki:read wiki:write',
        wikiId: notes.id,
        grantId: grant.id,
      };
      const { platformKeys } = platform.platform.deps;
      const ttl = platform.config.accessTokenTtlSeconds;
      return (await mintAccessToken(platformKeys, { ...base, ...claims }, ttl, now())).token;
    }

    test('IT-01: introspection tells a client about its own live tokens only', async () => {
      const a = await registerClient();
      const tokens = await tokensFor(a.clientId);
      const own = await (await introspect({ token: tokens.access_token, client_id: a.clientId })).json();
      assert.equal(own.active, true);
      assert.equal(own.token_type, 'access_token');
      assert.equal(own.client_id, a.clientId);
      assert.equal(own.sub, CAROL_DID);
      assert.equal(own.aud, `${issuer}/mcp`);
      assert.equal(own.iss, issuer);
      assert.equal(own.scope, 'wiki:read wiki:write');
      assert.ok(own.exp > now() && own.iat <= now());
      const rt = await (await introspect({ token: tokens.refresh_token!, client_id: a.clientId })).json();
      assert.equal(rt.active, true);
      assert.equal(rt.token_type, 'refresh_token');
      const b = await registerClient();
      for (const token of [tokens.access_token, tokens.refresh_token!]) {
        assert.deepEqual(
          await (await introspect({ token, client_id: b.clientId })).json(),
          { active: false },
          "another public client learns nothing about a's tokens",
        );
      }
      assert.deepEqual(await (await introspect({ token: 'garbage', client_id: a.clientId })).json(), { active: false });
      const notes = (await platform.platform.deps.wikis.findBySlug('notes'))!;
      const dashboardToken = await wikiTokenFor(platform.platform, notes, CAROL_DID);
      assert.deepEqual(
        await (await introspect({ token: dashboardToken, client_id: a.clientId })).json(),
        { active: false },
        'dashboard tokens belong to no client',
      );
    });

    test('IT-01: a confidential client must authenticate to introspect; then it sees its own tokens', async () => {
      const confidential = await registerClient('client_secret_post');
      const code = await oauth.code(confidential.clientId);
      const tokens = await (
        await oauth.token({
          grant_type: 'authorization_code',
          code,
          code_verifier: PKCE.verifier,
          client_id: confidential.clientId,
          client_secret: confidential.secret!,
        })
      ).json();
      for (const credentials of [{ client_id: confidential.clientId }, { client_id: confidential.clientId, client_secret: 'wrong' }] as Array<
        Record<string, string>
      >) {
        const refused = await introspect({ token: tokens.access_token, ...credentials });
        assert.equal(refused.status, 401, JSON.stringify(credentials));
        assert.equal((await refused.json()).error, 'invalid_client');
      }
      const basic = Buffer.from(`${confidential.clientId}:${confidential.secret}`).toString('base64');
      const authorization = `Basic ${basic}`;
      assert.equal((await (await introspect({ token: tokens.access_token }, { authorization })).json()).active, true);
    });

    test('IT-01: a token the MCP endpoint refuses is inactive at introspection (one verifier)', async () => {
      const { clientId } = await registerClient();
      const tokens = await tokensFor(clientId);
      const ttl = platform.config.accessTokenTtlSeconds;
      const active = async (token: string) => (await (await introspect({ token, client_id: clientId })).json()).active;
      const bothAgree = async (token: string, accepted: boolean, label: string) => {
        assert.equal(await mcpStatus(token), accepted ? 200 : 401, `/mcp: ${label}`);
        assert.equal(await active(token), accepted, `introspection: ${label}`);
      };
      await bothAgree(tokens.access_token, true, 'a live token');
      await bothAgree(await mintFor(clientId, { audience: issuer }), false, 'audience is the issuer, not the MCP URL');
      await bothAgree(await mintFor(clientId, { audience: `${platform.config.publicUrl}/w/other/mcp` }), false, "another wiki's audience");
      await bothAgree(await mintFor(clientId, { wikiId: 'a-deleted-wiki-of-the-same-slug' }), false, 'a wiki deleted and re-created under the slug (RS-12)');
      clockOffset = ttl + 30;
      try {
        await bothAgree(tokens.access_token, true, 'expired 30 s ago, inside the 60 s skew');
        clockOffset = ttl + 61;
        await bothAgree(tokens.access_token, false, 'expired past the skew');
      } finally {
        clockOffset = 0;
      }
      await db().updateTable('wikis').set({ owner_did: 'did:plc:someoneelseaaaaaaaaaaaaa' }).where('slug', '=', 'notes').execute();
      try {
        await bothAgree(tokens.access_token, false, 'the person no longer has the wiki');
        assert.equal(await active(tokens.refresh_token!), false, 'nor is the refresh token, which /token would refuse');
      } finally {
        await db().updateTable('wikis').set({ owner_did: CAROL_DID }).where('slug', '=', 'notes').execute();
      }
      await db().updateTable('grants').set({ revoked_at: now() }).where('client_id', '=', clientId).execute();
      await bothAgree(tokens.access_token, false, 'the grant was revoked');
    });

    test('IT-01: at a deleted wiki, neither the MCP endpoint nor introspection knows the token', async () => {
      const gone = await platform.platform.deps.wikis.create({ slug: `gone-${kind}`, ownerDid: CAROL_DID, displayName: 'Gone' }, now());
      const { token } = await accessTokenFor(platform.platform, gone, CAROL_DID);
      assert.equal(await mcpStatus(token, gone.slug), 200);
      await platform.platform.deps.wikis.delete(gone.id);
      assert.equal(await mcpStatus(token, gone.slug), 404);
      const response = await post(`/w/${gone.slug}/oauth/introspect`, { token, client_id: `test-client-${CAROL_DID}` });
      assert.equal(response.status, 404);
      assert.notEqual((await response.json()).active, true);
    });
  });
}
