// Every AuthService outcome and the catalogue CL cases, over real Connect on a listening server, with
// the browser leg played through the scriptable fake AS.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Stage } from '../../src/rpc/gen/robot/auth/v1/auth_pb.ts';
import { CLI_DELIVERY_GRACE_SECONDS } from '../../src/rpc/cli-logins.ts';
import { CLI_LOGIN_TTL_SECONDS } from '../../src/store/cli-logins.ts';
import { CLI_JWT_TYPE, PLATFORM_JWT_TYPE } from '../../src/session/platform-jwt.ts';
import { utcMinute } from '../../src/http/time.ts';
import { authClient, browserSignsIn, cliLogin, collect, confirmInBrowser, newSecret, stagesOf, type AuthClient } from '../helpers/cli-login.ts';
import { CAROL_DID, FakeAtproto } from '../helpers/fake-atproto.ts';
import { streamedBody, TestClient } from '../helpers/http-client.ts';
import { loginThroughFake, signUp } from '../helpers/login-flow.ts';
import { freePort, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RobotProcess } from '../helpers/robot-process.ts';
import { askSessionRoutes, assertAnonymous, assertSignedIn } from '../helpers/session-routes.ts';
import { formField } from '../helpers/html.ts';

const codeOf = (error: unknown) => (error instanceof ConnectError ? error.code : error);

describe('CLI login: AuthService over Connect', () => {
  let fake: FakeAtproto;
  let platform: TestPlatform;
  let client: AuthClient;
  /** A CLI on another machine (its own rate-limit budget), for the confirmation-page cases. */
  let neighbour: AuthClient;
  let clockOffset = 0;
  const now = () => Math.floor(Date.now() / 1000) + clockOffset;

  before(async () => {
    fake = await FakeAtproto.start();
    platform = await startTestPlatform(
      { ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1', GRPC_PORT: String(await freePort()) },
      { now },
    );
    client = authClient(platform.url);
    neighbour = authClient(platform.url, '127.0.0.2');
  });
  after(async () => {
    await platform?.close();
    await fake?.close();
  });
  beforeEach(async () => {
    clockOffset = 0;
    fake.behaviour = {};
  });

  const browser = () => new TestClient(platform.platform.app, platform.config.publicUrl);
  const db = () => platform.platform.deps.database.db;

  async function start(identifier = 'carol.test', via = client) {
    const { secret, secretHash } = newSecret();
    const started = await via.initiateLogin({ identifier, secretHash, clientName: 'robot CLI on test-box' });
    return { ...started, secret };
  }

  async function ensureCarol() {
    if (!(await platform.platform.deps.users.findByDid(CAROL_DID))) await signUp(browser(), fake, 'carol');
  }

  test('InitiateLogin returns the authorization URL, a session id, a confirmation code and a deadline', async () => {
    const started = await start();
    assert.equal(new URL(started.oauthUrl).origin, fake.url);
    assert.match(started.sessionId, /^[A-Za-z0-9_-]{22,}$/, 'CL-01: >= 128-bit id');
    assert.match(started.confirmationCode, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    assert.ok(Math.abs(Number(started.expiresAt) - (now() + CLI_LOGIN_TTL_SECONDS)) <= 2);
  });

  test('InitiateLogin refuses a bad identifier or secret hash with INVALID_ARGUMENT', async () => {
    const { secretHash } = newSecret();
    await assert.rejects(client.initiateLogin({ identifier: 'not..a handle', secretHash }), (e) => codeOf(e) === Code.InvalidArgument);
    await assert.rejects(client.initiateLogin({ identifier: 'carol.test', secretHash: 'short' }), (e) => codeOf(e) === Code.InvalidArgument);
  });

  test('a returning user: progress, confirmation, then a JWT that verifies with the JWKS; the stream closes', async () => {
    await ensureCarol();
    const started = await start();
    const person = browser();
    const streamed = collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
    assert.equal((await browserSignsIn(person, fake)).headers.get('location'), '/auth/cli/confirm');
    const page = await (await person.request('/auth/cli/confirm')).text();
    assert.ok(page.includes('robot CLI on test-box'), 'the page names the client');
    assert.equal((await confirmInBrowser(person, started.confirmationCode)).status, 200);

    const { messages, error } = await streamed;
    assert.equal(error, undefined);
    const stages = stagesOf(messages);
    assert.deepEqual(stages, [Stage.WAITING_FOR_BROWSER, Stage.AWAITING_CONFIRMATION]);
    const completed = messages.at(-1)!.event;
    assert.equal(completed.case, 'completed');
    assert.equal(completed.value!.did, CAROL_DID);
    assert.equal(completed.value!.username, 'carol');
    const jwks = await (await fetch(`${platform.url}/.well-known/jwks.json`)).json();
    const { payload } = await jwtVerify(completed.value!.token, createLocalJWKSet(jwks), { typ: CLI_JWT_TYPE });
    assert.equal(payload.sub, CAROL_DID);
  });

  test('a first-time user signs up in the browser before the JWT is released', async () => {
    await db().deleteFrom('users').execute();
    const started = await start();
    const person = browser();
    const streamed = collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
    assert.equal((await browserSignsIn(person, fake)).headers.get('location'), '/auth/signup');
    const form = await (await person.request('/auth/signup')).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(form)![1]!;
    const signedUp = await person.form('/auth/signup', { username: 'carol', csrf });
    assert.equal(signedUp.headers.get('location'), '/auth/cli/confirm');
    await confirmInBrowser(person, started.confirmationCode);
    const { messages } = await streamed;
    const stages = stagesOf(messages);
    assert.deepEqual(stages, [Stage.WAITING_FOR_BROWSER, Stage.SIGNING_UP, Stage.AWAITING_CONFIRMATION]);
    assert.equal(messages.at(-1)!.event.case, 'completed');
  });

  test('CL-02: the session id alone (no secret, or a wrong one) gets NOT_FOUND; the real stream is unaffected', async () => {
    await ensureCarol();
    const started = await start();
    const legit = collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
    for (const secret of ['', 'wrong-secret', started.secret.slice(0, -1)]) {
      const { error } = await collect(client.awaitLogin({ sessionId: started.sessionId, secret }));
      assert.equal(codeOf(error), Code.NotFound, `secret ${JSON.stringify(secret.slice(0, 4))}`);
    }
    const person = browser();
    await browserSignsIn(person, fake);
    await confirmInBrowser(person, started.confirmationCode);
    assert.equal((await legit).messages.at(-1)!.event.case, 'completed');
  });

  test('CL-03: without the explicit confirmation no JWT is released; confirming needs the CSRF token and this browser', async () => {
    await ensureCarol();
    const started = await start();
    const controller = new AbortController();
    const stream = collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }, { signal: controller.signal }));
    const person = browser();
    await browserSignsIn(person, fake);
    assert.equal((await person.form('/auth/cli/confirm', { csrf: 'forged', decision: 'approve' })).status, 403);
    const stranger = browser();
    assert.equal((await stranger.request('/auth/cli/confirm')).status, 400, 'another browser cannot see or confirm it');
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    const { messages } = await stream;
    assert.ok(
      messages.every((m) => m.event.case === 'progress'),
      'no token without confirmation',
    );
    const row = await db().selectFrom('cli_logins').select('status').where('id', '=', started.sessionId).executeTakeFirstOrThrow();
    assert.equal(row.status, 'authenticated');
  });

  /** The confirmation page as `person` sees it, and its form's CSRF token. */
  async function confirmationPage(person: TestClient) {
    const response = await person.request('/auth/cli/confirm');
    const html = await response.text();
    return { status: response.status, html, csrf: formField(html, '/auth/cli/confirm', 'csrf') ?? '' };
  }
  /** A CLI waiting on a login that `person` has signed in to and now sees on the confirmation page. */
  async function atConfirmationPage() {
    await ensureCarol();
    const started = await start('carol.test', neighbour);
    const stream = collect(neighbour.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
    const person = browser();
    await browserSignsIn(person, fake);
    const { csrf } = await confirmationPage(person);
    const wrong = started.confirmationCode === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA';
    return { started, stream, person, csrf, wrong };
  }
  const attemptsOf = (id: string) => db().selectFrom('cli_logins').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const sessionRecord = (sid: string) => db().selectFrom('platform_sessions').selectAll().where('sid', '=', sid).executeTakeFirst();

  test('CL-03: our words only: fixed headline, client label secondary, unverified and sanitised; no code', async () => {
    await ensureCarol();
    const hostile = 'robot.wtf Official Security Check - approve to keep access';
    const { secretHash } = newSecret();
    const started = await neighbour.initiateLogin({ identifier: 'carol.test', secretHash, clientName: hostile });
    const person = browser();
    await browserSignsIn(person, fake);
    const { html } = await confirmationPage(person);
    assert.equal(/<h1>([^<]*)<\/h1>/.exec(html)?.[1], 'Log in to the robot command line');
    assert.match(html, /<title>Log in to the robot command line · robot\.wtf<\/title>/);
    assert.equal(html.split(hostile).length - 1, 1, 'the label appears once');
    const unverified = new RegExp(`id="client-label"[^>]*>[^<]*<q>${hostile}</q>[^<]*<small>\\(unverified`);
    assert.match(html, unverified, 'only as an unverified label');
    const code = started.confirmationCode;
    for (const form of [code, code.replace('-', ''), code.toLowerCase()]) assert.ok(!html.includes(form), 'no code');
    assert.match(html, /If you did not just run <code>robot login<\/code> yourself, deny\./);
    const row = await attemptsOf(started.sessionId);
    assert.ok(html.includes(row.client_address), 'where the login started');
    assert.ok(html.includes(utcMinute(row.created_at)), 'and when');

    // Markup and bidi controls in the label never reach the page; it keeps letters, digits, a little punctuation.
    const markup = `<img src=x onerror=alert(1)>\u202Eexe.gnp\u2066 <b>Staff</b> ${'x'.repeat(100)}`;
    await neighbour.initiateLogin({ identifier: 'carol.test', secretHash, clientName: markup });
    const other = browser();
    await browserSignsIn(other, fake);
    const label = /id="client-label"[^>]*>[^<]*<q>([^<]*)<\/q>/.exec((await confirmationPage(other)).html)?.[1];
    assert.ok(label, 'a label is shown');
    const expected = `img src x onerror alert(1) exe.gnp b Staff b ${'x'.repeat(19)}`;
    assert.equal(label, expected, 'unsafe runs become a space; 64 characters at most');
  });

  test('CL-03: approving needs the code typed from the terminal; none or a wrong one delivers nothing', async () => {
    const { started, stream, person, csrf, wrong } = await atConfirmationPage();

    const empty = await person.form('/auth/cli/confirm', { csrf, decision: 'approve', code: '' });
    assert.equal(empty.status, 422);
    assert.match(await empty.text(), /Type the code your terminal shows/);
    assert.equal((await attemptsOf(started.sessionId)).failed_attempts, 0, 'an empty field is not a guess');

    const guessed = await person.form('/auth/cli/confirm', { csrf, decision: 'approve', code: wrong });
    assert.equal(guessed.status, 422);
    const page = await guessed.text();
    assert.match(page, /aria-invalid="true"/);
    assert.match(page, /That is not the code your terminal shows\. 4 attempts left\./);
    assert.ok(!page.includes(wrong), 'the wrong guess is not echoed');
    const row = await attemptsOf(started.sessionId);
    assert.deepEqual([row.status, row.failed_attempts], ['authenticated', 1], 'counted in the database; no release');

    // Case, the dash and spaces do not matter.
    const typed = ` ${started.confirmationCode.toLowerCase().replace('-', ' ')} `;
    const approved = await person.form('/auth/cli/confirm', { csrf, decision: 'approve', code: typed });
    assert.equal(approved.status, 200);
    assert.match(await approved.text(), /You are logged in on the command line/);
    const { messages, error } = await stream;
    assert.equal(error, undefined);
    const events = messages.map((m) => m.event.case);
    assert.deepEqual(events, ['progress', 'progress', 'completed'], 'the token only after the right code');
  });

  test('CL-03: five wrong codes burn the login: PERMISSION_DENIED for the CLI, the right code is dead', async () => {
    const { started, stream, person, csrf, wrong } = await atConfirmationPage();
    for (let left = 4; left >= 1; left--) {
      const answer = await person.form('/auth/cli/confirm', { csrf, decision: 'approve', code: wrong });
      assert.match(await answer.text(), new RegExp(`${left} attempts? left`));
    }
    const burned = await person.form('/auth/cli/confirm', { csrf, decision: 'approve', code: wrong });
    assert.equal(burned.status, 403);
    assert.match(await burned.text(), /Login cancelled[\s\S]*typed wrong 5 times/);
    const { messages, error } = await stream;
    assert.equal(codeOf(error), Code.PermissionDenied);
    assert.match((error as ConnectError).rawMessage, /wrong code/);
    assert.ok(messages.every((m) => m.event.case === 'progress'));
    const row = await attemptsOf(started.sessionId);
    assert.deepEqual([row.status, row.failed_attempts], ['denied', 5]);
    const late = await person.form('/auth/cli/confirm', { csrf, decision: 'approve', code: started.confirmationCode });
    assert.equal(late.status, 400, 'the right code after the burn changes nothing');
    assert.equal((await attemptsOf(started.sessionId)).status, 'denied');
    const logs = platform.logs.text();
    for (const code of [started.confirmationCode, wrong]) assert.ok(!logs.includes(code), 'LG-01: no code in the logs');
  });

  test('CL-09: the CLI gets its own credential (cli+jwt, 12 h, revocable record); no browser session', async () => {
    await ensureCarol();
    const person = browser();
    const completed = await cliLogin(neighbour, person, fake);
    const header = decodeProtectedHeader(completed.token);
    const jwks = createLocalJWKSet(await (await fetch(`${platform.url}/.well-known/jwks.json`)).json());
    assert.equal(header.typ, CLI_JWT_TYPE);
    assert.equal(header.alg, 'ES256');
    const issuer = platform.config.publicUrl;
    const { payload } = await jwtVerify(completed.token, jwks, { typ: CLI_JWT_TYPE, issuer, audience: issuer });
    assert.equal(payload.exp! - payload.iat!, 12 * 60 * 60);
    assert.equal(Number(completed.expiresAt), payload.exp);
    await assert.rejects(jwtVerify(completed.token, jwks, { typ: PLATFORM_JWT_TYPE }), 'a session verifier refuses it');
    const record = await sessionRecord(payload.sid as string);
    assert.deepEqual([record?.did, record?.expires_at, record?.revoked_at], [CAROL_DID, payload.exp, null], 'recorded');
    assert.equal(person.cookies.has('platform_token'), false, 'the confirming browser got no session either');

    // Every route that reads the session cookie: with Carol's own session they show her data; with
    // the CLI credential in its place they answer as to a stranger.
    const carol = { did: CAROL_DID, handle: 'carol.test', username: 'carol', wikiName: 'Carol secret wiki' };
    const { wikis } = platform.platform.deps;
    if (!(await wikis.findBySlug('carols-wiki'))) {
      await wikis.create({ slug: 'carols-wiki', ownerDid: CAROL_DID, displayName: carol.wikiName }, now());
    }
    const own = browser();
    await loginThroughFake(own, fake);
    assertSignedIn(await askSessionRoutes(own, 'carols-wiki'), carol);
    const holder = browser();
    holder.cookies.set('platform_token', completed.token);
    assertAnonymous(await askSessionRoutes(holder, 'carols-wiki'), carol);
    assert.equal((await sessionRecord(payload.sid as string))?.revoked_at, null, 'logout took it for no session');
    assert.ok(!platform.logs.text().includes(completed.token.split('.')[2]!), 'LG-01: the credential is not logged');
  });

  test('CL-04: unknown and expired ids are NOT_FOUND alike; a denied login ends PERMISSION_DENIED with no token', async () => {
    const unknown = await collect(client.awaitLogin({ sessionId: 'A'.repeat(22), secret: 'x' }));
    assert.equal(codeOf(unknown.error), Code.NotFound);

    const expired = await start();
    clockOffset = CLI_LOGIN_TTL_SECONDS + 1;
    assert.equal(codeOf((await collect(client.awaitLogin({ sessionId: expired.sessionId, secret: expired.secret }))).error), Code.NotFound);
    clockOffset = 0;

    await ensureCarol();
    const denied = await start();
    const stream = collect(client.awaitLogin({ sessionId: denied.sessionId, secret: denied.secret }));
    const person = browser();
    await browserSignsIn(person, fake);
    const page = await confirmInBrowser(person, '', 'deny');
    assert.match(await page.text(), /Login denied/);
    const { messages, error } = await stream;
    assert.equal(codeOf(error), Code.PermissionDenied);
    assert.ok(messages.every((m) => m.event.case === 'progress'));
  });

  test('CL-04: a login denied at the account server ends the CLI stream at once with PERMISSION_DENIED', async () => {
    const started = await start();
    const stream = collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
    const par = fake.requestsTo('/oauth/par').at(-1)!.form;
    const person = browser();
    const callback = await person.request(`/auth/callback?${new URLSearchParams({ error: 'access_denied', state: par.state!, iss: fake.url })}`);
    assert.equal(callback.status, 403);
    const { messages, error } = await stream;
    assert.equal(codeOf(error), Code.PermissionDenied);
    assert.ok(messages.every((m) => m.event.case === 'progress'));
  });

  test('CL-05: reconnects deliver exactly once; a second concurrent stream never gets the JWT', async () => {
    await ensureCarol();
    // (a) the stream drops before completion, the CLI reconnects, then the login completes.
    const a = await start();
    const dropped = new AbortController();
    const first = collect(client.awaitLogin({ sessionId: a.sessionId, secret: a.secret }, { signal: dropped.signal }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    dropped.abort();
    await first;
    const resumed = collect(client.awaitLogin({ sessionId: a.sessionId, secret: a.secret }));
    const person = browser();
    await browserSignsIn(person, fake);
    await confirmInBrowser(person, a.confirmationCode);
    assert.equal((await resumed).messages.at(-1)!.event.case, 'completed');

    // (b) completed while no client is connected: the reconnect gets the JWT at once.
    const b = await start();
    const other = browser();
    await browserSignsIn(other, fake);
    await confirmInBrowser(other, b.confirmationCode);
    const late = await collect(client.awaitLogin({ sessionId: b.sessionId, secret: b.secret }));
    assert.deepEqual(
      late.messages.map((m) => m.event.case),
      ['completed'],
    );

    // (c) after delivery, the id is spent.
    assert.equal(codeOf((await collect(client.awaitLogin({ sessionId: b.sessionId, secret: b.secret }))).error), Code.NotFound);

    // (d) two concurrent streams: one JWT, the other FAILED_PRECONDITION.
    const d = await start();
    const streams = [
      collect(client.awaitLogin({ sessionId: d.sessionId, secret: d.secret })),
      collect(client.awaitLogin({ sessionId: d.sessionId, secret: d.secret })),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = browser();
    await browserSignsIn(third, fake);
    await confirmInBrowser(third, d.confirmationCode);
    const results = await Promise.all(streams);
    assert.equal(results.filter((r) => r.messages.at(-1)?.event.case === 'completed').length, 1);
    assert.deepEqual(
      results.filter((r) => r.error).map((r) => codeOf(r.error)),
      [Code.FailedPrecondition],
    );
  });

  test('CL-06: a stream open when its login expires ends DEADLINE_EXCEEDED; a late callback mints nothing', async () => {
    await ensureCarol();
    const started = await start();
    const stream = collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    clockOffset = CLI_LOGIN_TTL_SECONDS + 1;
    const { error } = await stream;
    assert.equal(codeOf(error), Code.DeadlineExceeded);

    const late = browser();
    const callback = await browserSignsIn(late, fake);
    assert.equal(callback.status, 400);
    assert.match(await callback.text(), /expired/);
    assert.equal(late.cookies.has('cli_confirm'), false);
    assert.equal(late.cookies.has('platform_token'), false);
  });

  test('CL-06: a confirmed login waits for its client only for the grace period, and the sweeper removes it', async () => {
    await ensureCarol();
    const started = await start();
    const person = browser();
    await browserSignsIn(person, fake);
    await confirmInBrowser(person, started.confirmationCode);
    clockOffset = CLI_DELIVERY_GRACE_SECONDS + 1;
    assert.equal(codeOf((await collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }))).error), Code.NotFound);
    const { sweepExpired } = await import('../../src/store/sweeper.ts');
    assert.ok((await sweepExpired(db(), now())).cli_logins! >= 1);
    assert.equal((await sweepExpired(db(), now())).cli_logins, 0, 'idempotent');
  });

  test('DB-07: when minting fails at delivery the stream gets UNAVAILABLE and a retry delivers exactly once', async () => {
    await ensureCarol();
    const started = await start();
    const person = browser();
    await browserSignsIn(person, fake);
    await confirmInBrowser(person, started.confirmationCode);
    const sessions = platform.platform.deps.sessions;
    const sign = sessions.signCli;
    sessions.signCli = async () => {
      throw new Error('database write failed');
    };
    try {
      const failed = await collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
      assert.equal(codeOf(failed.error), Code.Unavailable);
      assert.ok(
        failed.messages.every((m) => m.event.case !== 'completed'),
        'no partial token',
      );
    } finally {
      sessions.signCli = sign;
    }
    const retried = await collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
    assert.equal(retried.messages.at(-1)?.event.case, 'completed');
    assert.equal(codeOf((await collect(client.awaitLogin({ sessionId: started.sessionId, secret: started.secret }))).error), Code.NotFound);
  });

  test('CL-08: a restart loses no login: the rows are durable', async () => {
    await ensureCarol();
    const started = await start();
    const person = browser();
    await browserSignsIn(person, fake);
    await confirmInBrowser(person, started.confirmationCode);
    const restarted = await startTestPlatform({
      ATPROTO_PLC_URL: fake.url,
      ATPROTO_HANDLE_RESOLVER: fake.url,
      DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
      DATA_DIR: platform.dataDir,
    });
    try {
      const { messages } = await collect(authClient(restarted.url).awaitLogin({ sessionId: started.sessionId, secret: started.secret }));
      assert.equal(messages.at(-1)?.event.case, 'completed');
    } finally {
      await restarted.close();
    }
  });

  test('LG-01: every RPC call leaves one access-log line (method, outcome, address), with no secret in it', async () => {
    const mark = platform.logs.lines.length;
    const { secret, secretHash } = newSecret();
    const started = await client.initiateLogin({ identifier: 'carol.test', secretHash, clientName: 'robot CLI' });
    const refused = await client.initiateLogin({ identifier: 'a\u0000b', secretHash }).then(() => 'ok', codeOf);
    assert.equal(refused, Code.InvalidArgument);
    const guess = await collect(client.awaitLogin({ sessionId: started.sessionId, secret: 'wrong' }));
    assert.equal(codeOf(guess.error), Code.NotFound);
    const lines = platform.logs.lines.slice(mark).map((line) => JSON.parse(line) as Record<string, unknown>);
    const rpc = lines.filter((line) => line.event === 'rpc');
    const summary = rpc.map((line) => [line.method, line.outcome, line.clientAddress]);
    assert.deepEqual(summary, [
      ['InitiateLogin', 'ok', '127.0.0.1'],
      ['InitiateLogin', 'invalid_argument', '127.0.0.1'],
      ['AwaitLogin', 'not_found', '127.0.0.1'],
    ]);
    assert.ok(
      rpc.every((line) => typeof line.ms === 'number' && line.level === 30),
      'info level, with a duration',
    );
    const text = platform.logs.lines.slice(mark).join('\n');
    for (const value of [secret, secretHash, started.sessionId, started.confirmationCode]) {
      assert.ok(!text.includes(value), 'no secret, hash, session id or code in the log');
    }
  });

  test('CL-07: an RPC request body over 16 KiB is refused while it is read, not buffered whole', async () => {
    // Offered without Content-Length, so only a limit applied while reading can stop it.
    const streamed = streamedBody('{"identifier":"', 64 * 1024 * 1024);
    const initiate = `${platform.url}/robot.auth.v1.AuthService/InitiateLogin`;
    const response = await fetch(initiate, streamed.post({ 'content-type': 'application/json' }));
    assert.equal(response.status, 429);
    assert.equal((await response.json()).code, 'resource_exhausted');
    // Loopback socket buffers hold a few MiB; the server stopped long before the 64 MiB offered.
    assert.ok(streamed.pulled() < 16 * 1024 * 1024, `the client got to send ${streamed.pulled()} bytes`);
    const oversized = { identifier: 'x'.repeat(20 * 1024), secretHash: newSecret().secretHash };
    assert.equal(await client.initiateLogin(oversized).then(() => 'ok', codeOf), Code.ResourceExhausted);
  });

  test('CL-01, CL-07: guessing ids and flooding InitiateLogin from one address end in RESOURCE_EXHAUSTED', async () => {
    const guesses: unknown[] = [];
    for (let i = 0; i < 70; i++) guesses.push(codeOf((await collect(client.awaitLogin({ sessionId: `guess${i}`.padEnd(22, 'x'), secret: 'x' }))).error));
    assert.ok(guesses.slice(0, 50).every((code) => code === Code.NotFound || code === Code.ResourceExhausted));
    assert.equal(guesses.at(-1), Code.ResourceExhausted);

    const { secretHash } = newSecret();
    const codes: unknown[] = [];
    for (let i = 0; i < 25; i++) {
      codes.push(await client.initiateLogin({ identifier: 'not..valid', secretHash }).then(() => 'ok', codeOf));
    }
    assert.equal(codes.at(-1), Code.ResourceExhausted);
  });
});

describe('robot login while the server restarts', () => {
  let fake: FakeAtproto;
  let robot: RobotProcess | undefined;
  let env: Record<string, string>;
  let publicUrl: string;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-restart-'));
  const configHome = mkdtempSync(path.join(os.tmpdir(), 'robot-config-'));

  before(async () => {
    fake = await FakeAtproto.start();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    const atproto = { ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1' };
    env = { PORT: String(port), PUBLIC_URL: publicUrl, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...atproto };
    robot = await RobotProcess.start(env);
    await signUp(new TestClient(publicUrl, publicUrl), fake, 'carol');
  });
  after(async () => {
    await robot?.kill();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  });

  test('CL-05: the server killed (-9) and stopped (SIGTERM) mid-wait comes back; robot login carries on', async () => {
    const cli = spawn(process.execPath, [path.resolve('bin/robot.mjs'), 'login', 'carol.test', '--server', publicUrl], {
      env: { ...process.env, XDG_CONFIG_HOME: configHome, DISPLAY: '', WAYLAND_DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    const seen = (pattern: RegExp) => output.match(new RegExp(pattern, 'g'))?.length ?? 0;
    const waitFor = async (pattern: RegExp, count = 1) => {
      for (let i = 0; i < 300 && seen(pattern) < count && cli.exitCode === null; i++) await sleep(100);
      assert.equal(seen(pattern), count, output);
    };

    await waitFor(/Waiting for you to sign in/);
    // A connection reset in the middle of the stream (the Connect client reports it as `Aborted`).
    await robot!.kill();
    await waitFor(/reconnecting…/);
    robot = await RobotProcess.start(env);

    const person = new TestClient(publicUrl, publicUrl);
    assert.equal((await browserSignsIn(person, fake)).headers.get('location'), '/auth/cli/confirm');
    await waitFor(/Confirm this login in your browser/);
    // A graceful stop: the server drains, then cuts the stream.
    await robot.stop();
    await waitFor(/reconnecting…/, 2);
    robot = await RobotProcess.start(env);

    await confirmInBrowser(person, /Confirmation code: (\S+)/.exec(output)![1]!);
    assert.equal(await exited, 0, output);
    assert.match(output, /Logged in as @carol\.test/);
    assert.doesNotMatch(output, /robot: /, 'no error line');
  });
});

describe('CLI login: global caps', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({});
  });
  after(() => platform?.close());

  /** `count` logins waiting for their browser, all for one CLI secret, written straight to the store. */
  async function pendingLogins(count: number, secretHash: string): Promise<string[]> {
    const at = Math.floor(Date.now() / 1000);
    const rows = Array.from({ length: count }, (_, i) => ({
      ...{ id: `cap-${i}`.padEnd(22, 'x'), secret_hash: secretHash, code_hash: 'x', failed_attempts: 0 },
      ...{ client_name: 'robot CLI', client_address: '127.0.0.1', status: 'pending' as const },
      ...{ did: null, handle: null, browser_hash: null, csrf: null, created_at: at, expires_at: at + 600 },
    }));
    const { db } = platform.platform.deps.database;
    for (let i = 0; i < rows.length; i += 500)
      await db
        .insertInto('cli_logins')
        .values(rows.slice(i, i + 500))
        .execute();
    return rows.map((row) => row.id);
  }

  test('CL-07: 10 000 live logins, then 1 000 open streams per instance: further calls are RESOURCE_EXHAUSTED', async () => {
    const { secret, secretHash } = newSecret();
    const ids = await pendingLogins(10_000, secretHash);
    // A fresh address (127.0.0.40) and an identifier refused before any I/O: only the global cap says
    // RESOURCE_EXHAUSTED here; without it the answer would be INVALID_ARGUMENT.
    const full = await authClient(platform.url, '127.0.0.40')
      .initiateLogin({ identifier: 'not..valid', secretHash })
      .then(
        () => 'ok',
        (error: unknown) => error,
      );
    assert.equal(codeOf(full), Code.ResourceExhausted);
    assert.match((full as ConnectError).rawMessage, /too many logins in progress/);

    // 1 000 streams from 17 addresses (60 AwaitLogin a minute each), every one open on the server
    // once its first progress message has arrived.
    const controller = new AbortController();
    const open: Promise<unknown>[] = [];
    for (let i = 0; i < 1_000; i++) {
      const via = authClient(platform.url, `127.0.1.${1 + Math.floor(i / 59)}`);
      const stream = via.awaitLogin({ sessionId: ids[i]!, secret }, { signal: controller.signal })[Symbol.asyncIterator]();
      open.push(stream.next());
    }
    const first = await Promise.all(open);
    assert.ok(
      first.every((result) => (result as IteratorResult<unknown>).done === false),
      'all 1 000 streams open',
    );
    const busy = await collect(authClient(platform.url, '127.0.2.1').awaitLogin({ sessionId: ids[1_000]!, secret }));
    assert.equal(codeOf(busy.error), Code.ResourceExhausted);
    assert.match((busy.error as ConnectError).rawMessage, /server busy/);
    controller.abort();
  });
});
