// Our atproto OAuth client (the real @atproto/oauth-client-node) in confidential mode against a
// scriptable authorization server on loopback: metadata, private_key_jwt, DPoP, state handling and
// the identity checks a malicious server would test.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createAtprotoClient } from '../../src/atproto/client.ts';
import { loadOrCreateAtprotoClientKey } from '../../src/keys/keystore.ts';
import { CAROL_DID, FakeAtproto, MALLORY_DID, VICTIM_DID, decodeJwtParts } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const PUBLIC_URL = 'https://robot.example';
const CLIENT_ID = `${PUBLIC_URL}/auth/client-metadata.json`;

describe('atproto client, confidential mode, against a scriptable authorization server', () => {
  let fake: FakeAtproto;
  let platform: TestPlatform;
  let browser: TestClient;
  const env = () => ({ PUBLIC_URL, ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1' });

  before(async () => {
    fake = await FakeAtproto.start();
    platform = await startTestPlatform(env());
  });
  after(async () => {
    await platform?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.behaviour = {};
    browser = new TestClient(platform.platform.app, PUBLIC_URL);
  });

  const db = () => platform.platform.deps.database.db;

  /** Begins a login and returns the state the AS received in the pushed request. */
  async function beginLogin(client: TestClient, handle = 'carol.test'): Promise<string> {
    const response = await client.form('/auth/login', { handle });
    assert.equal(response.status, 303, await response.clone().text());
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.origin + location.pathname, `${fake.url}/oauth/authorize`);
    assert.equal(location.searchParams.get('client_id'), CLIENT_ID);
    return fake.requestsTo('/oauth/par').at(-1)!.form.state!;
  }

  /** The library caches server metadata in memory; a new platform sees the fake's current answers. */
  async function loginOnFreshPlatform(handle = 'carol.test'): Promise<Response> {
    const fresh = await startTestPlatform({ ...env(), DATABASE_URL: 'sqlite::memory:' });
    try {
      return await new TestClient(fresh.platform.app, PUBLIC_URL).form('/auth/login', { handle });
    } finally {
      await fresh.close();
    }
  }

  function callback(client: TestClient, state: string, code = `code-${Math.random()}`): Promise<Response> {
    return client.request(`/auth/callback?${new URLSearchParams({ code, state, iss: fake.url })}`);
  }

  test('DP-05: client metadata and JWKS are served as JSON, public members only', async () => {
    const response = await browser.request('/auth/client-metadata.json');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^application\/json/);
    const metadata = await response.json();
    assert.equal(metadata.client_id, CLIENT_ID);
    assert.deepEqual(metadata.redirect_uris, [`${PUBLIC_URL}/auth/callback`]);
    assert.equal(metadata.scope, 'atproto');
    assert.equal(metadata.dpop_bound_access_tokens, true);
    assert.equal(metadata.token_endpoint_auth_method, 'private_key_jwt');
    assert.equal(metadata.token_endpoint_auth_signing_alg, 'ES256');
    assert.equal(metadata.jwks_uri, `${PUBLIC_URL}/auth/jwks.json`);

    const jwks = await (await browser.request('/auth/jwks.json')).json();
    assert.equal(jwks.keys.length, 1);
    for (const key of jwks.keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[secret], undefined, `no ${secret}`);
      assert.deepEqual([key.kty, key.crv, key.alg], ['EC', 'P-256', 'ES256']);
      assert.ok(key.kid);
    }
  });

  test('DP-01, DP-03, DP-04: PAR carries a valid client assertion and DPoP proof, and retries once on use_dpop_nonce', async () => {
    const before = fake.requestsTo('/oauth/par').length;
    await beginLogin(browser);
    const pars = fake.requestsTo('/oauth/par').slice(before);
    assert.equal(pars.length, 2, 'one challenge, one retry');

    const { keys } = await (await browser.request('/auth/jwks.json')).json();
    const assertions = pars.map((par) => {
      assert.equal(par.form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      return decodeJwtParts(par.form.client_assertion!);
    });
    for (const { header, payload } of assertions) {
      assert.equal(header.alg, 'ES256');
      assert.ok(
        keys.some((key: { kid: string }) => key.kid === header.kid),
        'kid is published in our JWKS',
      );
      assert.equal(payload.iss, CLIENT_ID);
      assert.equal(payload.sub, CLIENT_ID);
      assert.equal(payload.aud, fake.url);
      assert.ok(payload.jti);
      assert.ok(payload.exp! - payload.iat! <= 60, 'assertion lives at most 60 s');
    }
    // Within one pushed request the library resends the same assertion after the nonce challenge
    // (the AS rejected the first attempt before authenticating it); every new request gets a new jti.
    await beginLogin(browser);
    const next = decodeJwtParts(fake.requestsTo('/oauth/par').at(-1)!.form.client_assertion!);
    assert.notEqual(next.payload.jti, assertions[0]!.payload.jti, 'a new jti for a new request');

    const proofs = pars.map((par) => decodeJwtParts(par.headers.dpop!));
    for (const { header, payload } of proofs) {
      assert.equal(header.typ, 'dpop+jwt');
      assert.equal(header.alg, 'ES256');
      assert.deepEqual(Object.keys(header.jwk!).sort(), ['crv', 'kty', 'x', 'y']);
      assert.equal(payload.htm, 'POST');
      assert.equal(payload.htu, `${fake.url}/oauth/par`);
      assert.equal(payload.ath, undefined, 'no ath outside resource requests');
      assert.ok(Math.abs(payload.iat! - Date.now() / 1000) < 60);
    }
    assert.equal(proofs[0]!.payload.nonce, undefined);
    assert.equal(proofs[1]!.payload.nonce, 'nonce-1', 'the retry uses the nonce the AS sent');
    assert.notEqual(proofs[0]!.payload.jti, proofs[1]!.payload.jti);
  });

  test('DP-01: a second consecutive use_dpop_nonce fails the login instead of looping', async () => {
    fake.behaviour = { nonceChallenge: 'always' };
    const before = fake.requestsTo('/oauth/par').length;
    const response = await browser.form('/auth/login', { handle: 'carol.test' });
    assert.ok(response.status >= 400);
    assert.match(await response.text(), /role="alert"/);
    assert.equal(fake.requestsTo('/oauth/par').length - before, 2);
  });

  test('DP-02: DPoP nonces are per origin: no AS nonce at the PDS; the newest of each is used', async () => {
    // The PDS is the same fake under another origin (127.0.0.1 instead of localhost).
    const pds = fake.pdsUrl;
    fake.behaviour = { pdsUrl: pds, resource: { resource: pds }, metadata: { protected_resources: [fake.url, pds] } };
    const { config } = platform;
    const { deps } = platform.platform;
    const clientKey = await loadOrCreateAtprotoClientKey(config.atproto.clientKeyFile);
    const client = await createAtprotoClient(config, deps.database, clientKey, deps.now);
    const seen = fake.requests.length;
    await client.authorize('carol.test');
    const state = fake.requestsTo('/oauth/par').at(-1)!.form.state!;
    const { session } = await client.callback(new URLSearchParams({ code: 'dp02-code', state, iss: fake.url }));
    for (let i = 0; i < 2; i++) {
      assert.equal((await session.fetchHandler('/xrpc/com.atproto.server.getSession')).status, 200);
    }
    await session.signOut();

    const nonceOf = (request: { headers: Record<string, string> }) => {
      return decodeJwtParts(request.headers.dpop!).payload.nonce;
    };
    const requests = fake.requests.slice(seen).filter((request) => request.headers.dpop);
    // Each proof carries the nonce of the newest response from its own origin (none before the first).
    const newest = new Map<string, string>();
    for (const request of requests) {
      assert.equal(nonceOf(request), newest.get(request.headers.host!), `${request.headers.host}${request.path}`);
      if (request.answeredNonce) newest.set(request.headers.host!, request.answeredNonce);
    }
    const toAs = requests.filter((request) => request.headers.host === new URL(fake.url).host);
    const toPds = requests.filter((request) => request.headers.host === new URL(fake.pdsUrl).host);
    assert.deepEqual(toAs.map((request) => request.path).slice(-2), ['/oauth/token', '/oauth/revoke']);
    // The PDS's first request carries no nonce at all (not the AS's), its retry the PDS's challenge
    // nonce, and the next request the nonce the last response rotated to.
    assert.deepEqual(toPds.map(nonceOf), [undefined, 'pds-1', 'pds-2']);
    for (const request of toAs) assert.doesNotMatch(String(nonceOf(request)), /^pds-/);
    for (const request of toPds) assert.match(request.headers.authorization!, /^DPoP /);
  });

  test('a completed confidential login exchanges the code with private_key_jwt and leads to signup', async () => {
    const state = await beginLogin(browser);
    const response = await callback(browser, state, 'good-code');
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/auth/signup');
    const token = fake.requestsTo('/oauth/token').at(-1)!;
    assert.equal(token.form.code, 'good-code');
    assert.equal(decodeJwtParts(token.form.client_assertion!).payload.aud, fake.url);
    assert.ok(token.form.code_verifier && token.form.code_verifier.length >= 43, 'PKCE verifier sent');
  });

  test('MX-01: a callback whose iss is another issuer, missing, or differently spelled is refused without any token request', async () => {
    for (const issuer of ['https://evil-as.example', undefined, `${fake.url}/`, fake.url.toUpperCase()]) {
      const state = await beginLogin(browser);
      const tokenRequests = fake.requestsTo('/oauth/token').length;
      const params = new URLSearchParams({ code: 'mx-code', state });
      if (issuer) params.set('iss', issuer);
      const response = await browser.request(`/auth/callback?${params}`);
      assert.ok(response.status >= 400, `iss ${issuer}: ${response.status}`);
      assert.equal(fake.requestsTo('/oauth/token').length, tokenRequests, 'no token request sent anywhere');
      assert.equal(browser.cookies.has('platform_token'), false);
      assert.equal((await callback(browser, state)).status, 400, 'the state was consumed');
    }
  });

  test('MX-02: authorization-server metadata naming another issuer stops the login before PAR', async () => {
    fake.behaviour = { metadata: { issuer: 'https://bsky.social' } };
    const before = fake.requestsTo('/oauth/par').length;
    const response = await loginOnFreshPlatform();
    assert.ok(response.status >= 400);
    assert.equal(fake.requestsTo('/oauth/par').length, before);
  });

  test('ST-01: callback without state, with an unknown state, or with an expired one: 400, no token request, no cookie', async () => {
    const tokenRequests = fake.requestsTo('/oauth/token').length;
    const missing = await browser.request(`/auth/callback?code=x&iss=${encodeURIComponent(fake.url)}`);
    assert.equal(missing.status, 400);
    const forged = await callback(browser, 'forged-state-value');
    assert.equal(forged.status, 400);

    const state = await beginLogin(browser);
    await db().updateTable('atproto_states').set({ expires_at: 1 }).where('key', '=', state).execute();
    const expired = await callback(browser, state);
    assert.equal(expired.status, 400);
    assert.match(await expired.text(), /expired/);

    assert.equal(fake.requestsTo('/oauth/token').length, tokenRequests, 'no code was exchanged');
    assert.equal(browser.cookies.has('platform_token'), false);
  });

  test('ST-02: a callback loaded in a browser that did not begin the login is refused before any exchange', async () => {
    const attacker = new TestClient(platform.platform.app, PUBLIC_URL);
    const state = await beginLogin(attacker, 'mallory.test');
    const tokenRequests = fake.requestsTo('/oauth/token').length;

    const victim = new TestClient(platform.platform.app, PUBLIC_URL);
    const response = await callback(victim, state);
    assert.equal(response.status, 400);
    assert.equal(victim.cookies.has('platform_token'), false);
    assert.equal(fake.requestsTo('/oauth/token').length, tokenRequests, 'no token request');

    // The state is burnt: not even the attacker's own browser can use it now.
    assert.equal((await callback(attacker, state)).status, 400);
    assert.equal(await platform.platform.deps.users.findByDid(MALLORY_DID), undefined);
  });

  test('ST-03: the same successful callback URL loaded twice: the second is 400 and no second exchange', async () => {
    const state = await beginLogin(browser);
    const url = `/auth/callback?${new URLSearchParams({ code: 'once', state, iss: fake.url })}`;
    assert.equal((await browser.request(url)).status, 303);
    const tokenRequests = fake.requestsTo('/oauth/token').length;
    assert.equal((await browser.request(url)).status, 400);
    assert.equal(fake.requestsTo('/oauth/token').length, tokenRequests);
  });

  test('ST-04: state values are >= 128-bit, URL-safe, unique, and carry no data', async () => {
    const states = new Set<string>();
    for (let i = 0; i < 5; i++) states.add(await beginLogin(new TestClient(platform.platform.app, PUBLIC_URL)));
    assert.equal(states.size, 5);
    for (const state of states) {
      assert.match(state, /^[A-Za-z0-9_-]{22,}$/);
      assert.doesNotMatch(state, /carol|did:|return/);
    }
  });

  test('AT-01: the AS answers with another DID than the one asked for: rejected, tokens revoked, nothing created', async () => {
    fake.behaviour = { token: { sub: MALLORY_DID } };
    const state = await beginLogin(browser, 'carol.test');
    const revokedBefore = fake.revoked.length;
    const response = await callback(browser, state, 'mismatch-code');
    assert.equal(response.status, 403);
    assert.match(await response.text(), /different account/);
    assert.ok(fake.revoked.length > revokedBefore, 'received tokens revoked at the AS');
    assert.equal(browser.cookies.has('platform_token'), false);
    assert.equal(browser.cookies.has('signup_token'), false);
    assert.equal(await platform.platform.deps.users.findByDid(MALLORY_DID), undefined);
    const pending = await db().selectFrom('pending_signups').select('did').where('did', '=', MALLORY_DID).execute();
    assert.equal(pending.length, 0);
  });

  test('AT-02: a login begun from a server URL where that AS asserts a DID hosted elsewhere is rejected', async () => {
    const elsewhere = await FakeAtproto.start();
    try {
      // The victim's DID document names another PDS, whose authorization server is not this one.
      fake.behaviour = {
        token: { sub: VICTIM_DID },
        didDocuments: { [VICTIM_DID]: { service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: elsewhere.url }] } },
      };
      const response = await browser.form('/auth/login', { handle: fake.url });
      assert.equal(response.status, 303);
      const state = fake.requestsTo('/oauth/par').at(-1)!.form.state!;
      assert.equal(fake.requestsTo('/oauth/par').at(-1)!.form.login_hint, undefined, 'no identity was typed');
      const revoked = fake.revoked.length;
      const callbackResponse = await callback(browser, state, 'impostor-code');
      assert.equal(callbackResponse.status, 502);
      assert.equal(browser.cookies.has('platform_token'), false);
      assert.equal(browser.cookies.has('signup_token'), false);
      assert.equal(await platform.platform.deps.users.findByDid(VICTIM_DID), undefined);
      assert.ok(fake.revoked.length > revoked, 'the impostor tokens are revoked');
    } finally {
      await elsewhere.close();
    }
  });

  test('AT-03: a handle whose DID document does not name it back is refused, and never shown', async () => {
    fake.behaviour = { extraHandles: { 'liar.test': CAROL_DID } };
    const before = fake.requestsTo('/oauth/par').length;
    const response = await loginOnFreshPlatform('liar.test');
    assert.equal(response.status, 400);
    assert.match(await response.text(), /could not find an atproto account/);
    assert.equal(fake.requestsTo('/oauth/par').length, before);
  });

  const pdsService = (serviceEndpoint: string) => ({ service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint }] });
  for (const [name, document] of Object.entries({
    'an id other than the DID asked for': () => ({ id: MALLORY_DID }),
    'no atproto_pds service': () => ({ service: [] }),
    'a PDS endpoint with a path and query': () => pdsService(`${fake.url}/some/path?q=1`),
    'a PDS endpoint with credentials': () => pdsService(fake.url.replace('http://', 'http://user:pw@')),
  })) {
    test(`AT-05: a DID document with ${name} fails the login before PAR`, async () => {
      fake.behaviour = { didDocuments: { [CAROL_DID]: document() } };
      const before = fake.requestsTo('/oauth/par').length;
      const response = await loginOnFreshPlatform();
      assert.equal(response.status, 400);
      assert.match(await response.text(), /could not find an atproto account|invalid account server address/);
      assert.equal(fake.requestsTo('/oauth/par').length, before);
    });
  }

  for (const [name, token] of Object.entries({
    'scope without atproto': { scope: 'transition:generic' },
    'no sub': { sub: undefined },
    'sub not a DID': { sub: 'alice' },
    'sub a did:key': { sub: 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme' },
    'token_type Bearer': { token_type: 'Bearer' },
  })) {
    test(`AT-08: a token response with ${name} is rejected; no session, no user, no signup`, async () => {
      fake.behaviour = { token };
      await db().deleteFrom('atproto_sessions').execute();
      const state = await beginLogin(browser, 'carol.test');
      const response = await callback(browser, state, 'bad-token-code');
      assert.equal(response.status, 502);
      assert.match(await response.text(), /Login failed/);
      assert.equal(browser.cookies.has('platform_token'), false);
      assert.equal(browser.cookies.has('signup_token'), false);
      const stored = await db().selectFrom('atproto_sessions').select('key').where('key', 'in', ['alice', CAROL_DID]).execute();
      assert.equal(stored.length, 0, 'no atproto session stored');
    });
  }

  for (const [name, resource] of Object.entries({
    'no authorization server': { authorization_servers: [] },
    'two authorization servers': { authorization_servers: ['http://localhost:1', 'http://localhost:2'] },
  })) {
    test(`AT-06: PDS metadata with ${name} stops the login before PAR`, async () => {
      fake.behaviour = { resource };
      const before = fake.requestsTo('/oauth/par').length;
      const response = await loginOnFreshPlatform();
      assert.equal(response.status, 502);
      assert.match(await response.text(), /OAuth configuration is invalid/);
      assert.equal(fake.requestsTo('/oauth/par').length, before);
    });
  }

  test('SS-03: a metadata document answering with a redirect (even to a valid copy) is not followed; the login stops before PAR', async () => {
    fake.behaviour = { redirectResourceMetadata: true };
    const before = fake.requestsTo('/oauth/par').length;
    const response = await loginOnFreshPlatform();
    assert.ok(response.status === 400 || response.status === 502, `status ${response.status}`);
    assert.match(await response.text(), /role="alert"/);
    assert.equal(fake.requestsTo('/oauth/par').length, before);
  });

  test('AT-06: an AS whose protected_resources omit the PDS stops the login before PAR', async () => {
    fake.behaviour = { metadata: { protected_resources: ['https://elsewhere.example'] } };
    const before = fake.requestsTo('/oauth/par').length;
    const response = await loginOnFreshPlatform();
    assert.equal(response.status, 502);
    assert.match(await response.text(), /OAuth configuration is invalid/);
    assert.equal(fake.requestsTo('/oauth/par').length, before);
  });

  for (const [name, metadata] of Object.entries({
    'PAR not required': { require_pushed_authorization_requests: false },
    'no S256': { code_challenge_methods_supported: ['plain'] },
    'no ES256 DPoP': { dpop_signing_alg_values_supported: ['RS256'] },
    'no iss parameter': { authorization_response_iss_parameter_supported: false },
    'no atproto scope': { scopes_supported: ['transition:generic'] },
    'no private_key_jwt': { token_endpoint_auth_methods_supported: ['none'] },
    'no client id metadata documents': { client_id_metadata_document_supported: false },
  })) {
    test(`AT-07: authorization server metadata violating the atproto profile (${name}) stops the login before PAR`, async () => {
      fake.behaviour = { metadata };
      const before = fake.requestsTo('/oauth/par').length;
      const response = await loginOnFreshPlatform();
      assert.equal(response.status, 502);
      assert.match(await response.text(), /does not meet the atproto login requirements|OAuth configuration is invalid/);
      assert.equal(fake.requestsTo('/oauth/par').length, before, 'no pushed authorization request');
    });
  }

  test('LG-01: no token, code, state, assertion, proof, cookie or key appears in any log line', async () => {
    const state = await beginLogin(browser);
    await callback(browser, state, 'sentinel-code-LG01');
    const logs = platform.logs.text();
    const secrets = [
      'sentinel-code-LG01',
      'fake-access-',
      'fake-refresh-',
      state,
      ...fake.requests.flatMap((r) => [r.form.client_assertion, r.form.code_verifier, r.headers.dpop]),
      ...browser.cookies.values(),
    ].filter((value): value is string => typeof value === 'string' && value.length > 0);
    assert.ok(secrets.length > 8);
    for (const secret of secrets) {
      assert.equal(logs.includes(secret), false, `log leaks ${secret.slice(0, 12)}…`);
      assert.equal(logs.includes(encodeURIComponent(secret)), false);
    }
    assert.doesNotMatch(logs, /"d":"/, 'no private key material');
    assert.ok(
      platform.logs.lines.some((line) => line.includes('/auth/callback?')),
      'callback requests are logged (redacted)',
    );
  });
});
