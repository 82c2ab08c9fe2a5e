// The token endpoint's code grant on SQLite and PostgreSQL (catalogue PK-03/04, AC-01..06, AS-04, IN-04).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { CAROL_DID, FakeAtproto } from '../helpers/fake-atproto.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const REDIRECT = 'https://app.example/callback';

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`token endpoint, authorization code grant (${kind})`, () => {
    let fake: FakeAtproto;
    let database: TestDatabase;
    let platform: TestPlatform;
    let carol: TestClient;
    let issuer: string;

    before(async () => {
      fake = await FakeAtproto.start();
      database = await createTestDatabase(kind);
      platform = await startTestPlatform({ DATABASE_URL: database.url, ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1' });
      carol = new TestClient(platform.platform.app, platform.config.publicUrl);
      await signUp(carol, fake, 'carol');
      await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, 1);
      issuer = `${platform.config.publicUrl}/w/notes`;
    });
    after(async () => {
      await platform?.close();
      await database?.drop();
      await fake?.close();
    });

    const db = () => platform.platform.deps.database.db;

    async function registerClient(method: 'none' | 'client_secret_post' | 'client_secret_basic' = 'none') {
      const response = await new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'App', redirect_uris: [REDIRECT], token_endpoint_auth_method: method, grant_types: ['authorization_code', 'refresh_token'] }),
      });
      const body = await response.json();
      return { clientId: body.client_id as string, secret: body.client_secret as string | undefined };
    }

    async function getCode(clientId: string): Promise<string> {
      const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 's' });
      let response = await carol.request(`/w/notes/oauth/authorize?${query}`);
      if (response.status === 200) {
        const html = await response.text();
        response = await carol.form('/w/notes/oauth/consent', { request_id: /name="request_id" value="([^"]+)"/.exec(html)![1]!, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]!, decision: 'approve' });
      }
      return new URL(response.headers.get('location')!).searchParams.get('code')!;
    }

    function redeem(form: Record<string, string>, headers: Record<string, string> = {}) {
      return new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/token', {
        method: 'POST',
        body: new URLSearchParams(form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
    }
    const grantOf = async (clientId: string) => db().selectFrom('grants').selectAll().where('client_id', '=', clientId).executeTakeFirstOrThrow();

    test('AS-04: a public client redeems its code for an at+jwt bound to the wiki MCP URL; no-store', async () => {
      const { clientId } = await registerClient();
      const code = await getCode(clientId);
      const response = await redeem({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: clientId, redirect_uri: REDIRECT });
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
      assert.equal((await redeem({ grant_type: 'authorization_code', code: await getCode(post.clientId), code_verifier: VERIFIER, client_id: post.clientId, client_secret: post.secret! })).status, 200);
      const basic = await registerClient('client_secret_basic');
      const authorization = `Basic ${Buffer.from(`${basic.clientId}:${basic.secret}`).toString('base64')}`;
      assert.equal((await redeem({ grant_type: 'authorization_code', code: await getCode(basic.clientId), code_verifier: VERIFIER }, { authorization })).status, 200);
      const wrong = await redeem({ grant_type: 'authorization_code', code: await getCode(post.clientId), code_verifier: VERIFIER, client_id: post.clientId, client_secret: 'wrong' });
      assert.equal(wrong.status, 401);
      assert.equal((await wrong.json()).error, 'invalid_client');
      const missing = await redeem({ grant_type: 'authorization_code', code: 'x', code_verifier: VERIFIER, client_id: post.clientId });
      assert.equal(missing.status, 401, 'a confidential client without its secret');
    });

    test('PK-03: a wrong, missing, short or challenge-equal verifier is invalid_grant, consumes the code, revokes nothing', async () => {
      const { clientId } = await registerClient();
      for (const verifier of ['A'.repeat(43), undefined, VERIFIER.slice(1), CHALLENGE]) {
        const code = await getCode(clientId);
        const response = await redeem({ grant_type: 'authorization_code', code, client_id: clientId, ...(verifier ? { code_verifier: verifier } : {}) });
        assert.equal(response.status, 400, String(verifier));
        assert.equal((await response.json()).error, 'invalid_grant');
        const retry = await redeem({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: clientId });
        assert.equal(retry.status, 400, 'the code was consumed by the failed attempt');
      }
      assert.equal((await grantOf(clientId)).revoked_at, null);
    });

    test('PK-04: a code row without a challenge is never redeemable', async () => {
      const { clientId } = await registerClient();
      const code = await getCode(clientId);
      const { sha256 } = await import('../../src/secrets.ts');
      await db().updateTable('authorization_codes').set({ code_challenge: '' }).where('code_hash', '=', sha256(code)).execute();
      const withVerifier = await redeem({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: clientId });
      assert.equal((await withVerifier.json()).error, 'invalid_request');
      const code2 = await getCode(clientId);
      await db().updateTable('authorization_codes').set({ code_challenge: '' }).where('code_hash', '=', sha256(code2)).execute();
      assert.equal((await (await redeem({ grant_type: 'authorization_code', code: code2, client_id: clientId })).json()).error, 'invalid_grant');
    });

    test('AC-01: replaying a redeemed code is invalid_grant and revokes the grant it came from', async () => {
      const { clientId } = await registerClient();
      const code = await getCode(clientId);
      const request = { grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: clientId };
      assert.equal((await redeem(request)).status, 200);
      const replay = await redeem(request);
      assert.equal(replay.status, 400);
      assert.equal((await replay.json()).error, 'invalid_grant');
      assert.ok((await grantOf(clientId)).revoked_at, 'grant revoked');
      assert.ok(platform.logs.lines.some((line) => line.includes('oauth.code.replayed')), 'audit event');
    });

    test('AC-02: a replay with a wrong verifier or without client authentication revokes nothing', async () => {
      const confidential = await registerClient('client_secret_post');
      const code = await getCode(confidential.clientId);
      assert.equal((await redeem({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: confidential.clientId, client_secret: confidential.secret! })).status, 200);
      assert.equal((await redeem({ grant_type: 'authorization_code', code, code_verifier: 'B'.repeat(43), client_id: confidential.clientId, client_secret: confidential.secret! })).status, 400);
      assert.equal((await redeem({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: confidential.clientId })).status, 401);
      assert.equal((await grantOf(confidential.clientId)).revoked_at, null);
    });

    test('AC-03, AC-04: a code redeemed by another client, or with another redirect_uri, is invalid_grant', async () => {
      const a = await registerClient();
      const b = await registerClient();
      assert.equal((await (await redeem({ grant_type: 'authorization_code', code: await getCode(a.clientId), code_verifier: VERIFIER, client_id: b.clientId })).json()).error, 'invalid_grant');
      for (const redirect of [`${REDIRECT}2`, `${REDIRECT}/`]) {
        const response = await redeem({ grant_type: 'authorization_code', code: await getCode(a.clientId), code_verifier: VERIFIER, client_id: a.clientId, redirect_uri: redirect });
        assert.equal((await response.json()).error, 'invalid_grant', redirect);
      }
    });

    test('AC-05: an expired code, or one whose person lost the wiki, is invalid_grant', async () => {
      const { clientId } = await registerClient();
      const code = await getCode(clientId);
      await db().updateTable('authorization_codes').set({ expires_at: 1 }).execute();
      assert.equal((await (await redeem({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: clientId })).json()).error, 'invalid_grant');
      const code2 = await getCode(clientId);
      await db().updateTable('wikis').set({ owner_did: 'did:plc:someoneelseaaaaaaaaaaaaa' }).execute();
      try {
        assert.equal((await (await redeem({ grant_type: 'authorization_code', code: code2, code_verifier: VERIFIER, client_id: clientId })).json()).error, 'invalid_grant');
      } finally {
        await db().updateTable('wikis').set({ owner_did: CAROL_DID }).execute();
      }
    });

    test('AC-06: 20 parallel redemptions of one code: exactly one 200, the rest invalid_grant, no 500', async () => {
      const { clientId } = await registerClient();
      const code = await getCode(clientId);
      const statuses = await Promise.all(Array.from({ length: 20 }, () => redeem({ grant_type: 'authorization_code', code, code_verifier: VERIFIER, client_id: clientId }).then((r) => r.status)));
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 400).length, 19, statuses.join(','));
      assert.ok((await grantOf(clientId)).revoked_at, 'the losers are valid replays: the family is revoked');
    });

    test('IN-04: wrong content type, GET, unknown grant types and repeated parameters', async () => {
      const { clientId } = await registerClient();
      const json = await new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/token', { method: 'POST', body: JSON.stringify({ grant_type: 'authorization_code' }), headers: { 'content-type': 'application/json' } });
      assert.equal(json.status, 400);
      assert.equal((await json.json()).error, 'invalid_request');
      assert.equal((await carol.request('/w/notes/oauth/token')).status, 405);
      for (const grantType of ['password', 'client_credentials', 'urn:unknown']) {
        const response = await redeem({ grant_type: grantType, client_id: clientId });
        assert.equal(response.status, 400);
        assert.equal((await response.json()).error, 'unsupported_grant_type');
        assert.equal(response.headers.get('cache-control'), 'no-store');
      }
      const repeated = await new TestClient(platform.platform.app, platform.config.publicUrl).request('/w/notes/oauth/token', { method: 'POST', body: `grant_type=authorization_code&code=a&code=b&client_id=${clientId}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal((await repeated.json()).error, 'invalid_request');
      assert.equal((await redeem({ grant_type: 'authorization_code', client_id: clientId, padding: 'x'.repeat(9000) })).status, 413);
    });
  });
}
