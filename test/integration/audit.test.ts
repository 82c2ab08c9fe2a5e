// The audit trail (DESIGN.md §5): each OAuth step logs one structured event carrying the client id, the
// grant id once there is one, and the request id that also marks the request's access-log line and its
// X-Request-Id header. No token, code or secret reaches the log (catalogue LG-01).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { codeIn, notesClient, PKCE } from '../helpers/oauth-client.ts';
import { freePort, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const REDIRECT = 'http://127.0.0.1:33418/callback';

/** The steps DESIGN.md §5 names, and the events that record them. */
const STEPS = {
  registered: 'oauth.client.registered',
  'metadata fetched': 'oauth.client.metadata_fetched',
  'authorize begun': 'oauth.authorize.begun',
  'consent approved': 'oauth.consent.approved',
  'code issued': 'oauth.code.issued',
  'code redeemed': 'oauth.code.redeemed',
  'refresh rotated': 'oauth.refresh.rotated',
  'refresh replayed': 'oauth.refresh.replayed',
  revoked: 'oauth.revoked',
};

interface LogLine {
  event?: string;
  requestId?: string;
  clientId?: string;
  grantId?: string;
}

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as LogLine);

describe('audit events', () => {
  let fixture: WikiFixture;
  let platform: TestPlatform;
  let carol: TestClient;
  let documents: Server;
  let documentBase: string;

  before(async () => {
    fixture = await startWikiFixture();
    ({ platform, carol } = fixture);
    const port = await freePort();
    documentBase = `http://localhost:${port}`;
    documents = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ client_id: `${documentBase}/client.json`, client_name: 'Doc', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }));
    });
    await new Promise<void>((resolve) => documents.listen(port, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise((resolve) => documents?.close(resolve));
    await fixture?.close();
  });

  test('each step from registration to revocation logs its event with client, grant and request ids; no secret reaches the log', async () => {
    const expected: { event: string; requestId: string; clientId: string; grant: boolean }[] = [];
    const secrets: string[] = [PKCE.verifier, ...carol.cookies.values()];
    const oauth = notesClient(fixture, REDIRECT, { authorizeParams: { state: 'st4te' } });
    /** Notes that `response`'s request must have logged `events` for `clientId`. */
    function expect(response: Response, clientId: string, grant: boolean, ...events: string[]): Response {
      const requestId = response.headers.get('x-request-id');
      assert.ok(requestId, 'every response names its request');
      for (const event of events) expected.push({ event, requestId, clientId, grant });
      return response;
    }

    async function register(method: 'none' | 'client_secret_post'): Promise<{ clientId: string; secret?: string }> {
      const response = await oauth.register({ token_endpoint_auth_method: method });
      const body = await response.json();
      expect(response, body.client_id, false, STEPS.registered);
      if (body.client_secret) secrets.push(body.client_secret);
      return { clientId: body.client_id, secret: body.client_secret };
    }
    async function consent(clientId: string, decision: 'approve' | 'deny', events: string[], pageEvents = [STEPS['authorize begun']]): Promise<Response> {
      const page = expect(await oauth.authorize(clientId), clientId, false, ...pageEvents);
      const form = await oauth.consentForm(page, decision);
      secrets.push(form.csrf!);
      const response = await carol.form('/w/notes/oauth/consent', form);
      return expect(response, clientId, decision === 'approve', ...events);
    }
    async function tokens(clientId: string, extra: Record<string, string> = {}) {
      const code = codeIn(await consent(clientId, 'approve', [STEPS['consent approved'], STEPS['code issued']]));
      const request = { grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId, ...extra };
      const response = expect(await oauth.token(request), clientId, true, STEPS['code redeemed']);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { access_token: string; refresh_token: string };
      secrets.push(code, body.access_token, body.refresh_token);
      return { request, ...body };
    }
    async function refresh(clientId: string, refreshToken: string, event: string): Promise<string | undefined> {
      const response = expect(await oauth.refresh(clientId, refreshToken), clientId, true, event);
      const body = await response.json();
      if (body.refresh_token) secrets.push(body.access_token, body.refresh_token);
      return body.refresh_token;
    }

    // A: code → rotation → a retry in the grace window → rotation → reuse of the first token.
    const a = await register('none');
    const first = await tokens(a.clientId);
    const rt2 = await refresh(a.clientId, first.refresh_token, STEPS['refresh rotated']);
    assert.equal(await refresh(a.clientId, first.refresh_token, 'oauth.refresh.grace'), rt2);
    await refresh(a.clientId, rt2!, STEPS['refresh rotated']);
    assert.equal(await refresh(a.clientId, first.refresh_token, STEPS['refresh replayed']), undefined);
    // B, a confidential client: its code is replayed.
    const b = await register('client_secret_post');
    const { request } = await tokens(b.clientId, { client_secret: b.secret! });
    expect(await oauth.token(request), b.clientId, true, 'oauth.code.replayed');
    // C: revocation.
    const c = await register('none');
    const { refresh_token } = await tokens(c.clientId);
    expect(await oauth.revoke(c.clientId, refresh_token), c.clientId, true, STEPS.revoked);
    // D, a metadata-document client: its document is fetched, then the person says no.
    const d = `${documentBase}/client.json`;
    await consent(d, 'deny', ['oauth.consent.denied'], [STEPS['metadata fetched'], STEPS['authorize begun']]);
    // E: a metadata document that cannot be fetched.
    const e = `http://127.0.0.1:${await freePort()}/client.json`;
    expect(await oauth.authorize(e), e, false, 'oauth.client.metadata_failed');

    const lines = parse(platform.logs.lines);
    const grantOf = async (clientId: string) =>
      (await platform.platform.deps.database.db.selectFrom('grants').select('id').where('client_id', '=', clientId).executeTakeFirstOrThrow()).id;
    for (const step of expected) {
      const found = lines.filter((line) => line.event === step.event && line.requestId === step.requestId);
      assert.equal(found.length, 1, `one ${step.event} for request ${step.requestId}`);
      assert.equal(found[0]!.clientId, step.clientId, step.event);
      assert.equal(found[0]!.grantId, step.grant ? await grantOf(step.clientId) : undefined, `${step.event}: grant id`);
      assert.ok(
        lines.some((line) => line.event === 'http' && line.requestId === step.requestId),
        `${step.event}: the access-log line has the same id`,
      );
    }
    for (const [step, event] of Object.entries(STEPS))
      assert.ok(
        expected.some((e) => e.event === event),
        `step "${step}" was exercised`,
      );
    const oauthEvents = lines.filter((line) => line.event?.startsWith('oauth.'));
    assert.ok(
      oauthEvents.every((line) => line.requestId),
      'no oauth.* event without a request id',
    );
    assert.equal(oauthEvents.length, expected.length, 'and none unaccounted for');

    const log = platform.logs.text();
    for (const secret of new Set(secrets))
      assert.ok(!log.includes(secret) && !log.includes(encodeURIComponent(secret)), `a secret (${secret.length} chars) is in the log`);
  });
});

describe('audit events, host mode', () => {
  let platform: TestPlatform;
  let wiki: TestClient;

  before(async () => {
    platform = await startTestPlatform({ PUBLIC_URL: 'https://robot.example', WIKI_DOMAIN: 'robot.example', COOKIE_DOMAIN: 'robot.example' });
    await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, 1);
    wiki = new TestClient(platform.platform.app, 'https://notes.robot.example');
  });
  after(() => platform?.close());

  test("a wiki host's routes carry the platform's request id into their events, and map errors like the platform", async () => {
    const response = await wiki.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(response.status, 201);
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId);
    const lines = parse(platform.logs.lines).filter((line) => line.requestId === requestId);
    assert.deepEqual(
      lines.map((line) => line.event),
      ['oauth.client.registered', 'http'],
      'the event and the access-log line share the id',
    );
    assert.equal(lines[0]!.clientId, (await response.json()).client_id);

    const unknown = await wiki.request('/oauth/authorize?client_id=nobody');
    assert.equal(unknown.status, 400, 'a page about the bad request, not a 500');
    assert.ok(unknown.headers.get('x-request-id'));
    assert.match(await unknown.text(), /not registered with this wiki/);
  });
});
