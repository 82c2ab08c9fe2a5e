// Prometheus metrics (METRICS_PORT), read the way Prometheus reads them: from a real `robot serve`
// process on PostgreSQL, after a person signs up and an OAuth client and an MCP client do their work.
// Requirements: the metrics are served on their own listener and nowhere else; OAuth events (codes,
// refreshes, reuse detected, denials), logins with their duration, MCP tool calls by tool and outcome,
// request latencies by route pattern and the database pool are counted, whatever LOG_LEVEL says; and no
// token, code or page path reaches them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { FakeAtproto } from '../helpers/fake-atproto.ts';
import { formField } from '../helpers/html.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { connectMcp } from '../helpers/mcp.ts';
import { OAuthTestClient } from '../helpers/oauth-client.ts';
import { freePort } from '../helpers/platform.ts';
import { RobotProcess } from '../helpers/robot-process.ts';

/** The value of one series in Prometheus's text format, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return undefined;
}

describe('Prometheus metrics on METRICS_PORT', () => {
  let fake: FakeAtproto;
  let database: TestDatabase;
  let dataDir: string;
  let robot: RobotProcess;
  let url: string;
  let metricsUrl: string;
  const secrets: string[] = [];

  before(async () => {
    fake = await FakeAtproto.start();
    database = await createTestDatabase('postgres');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'robot-metrics-'));
    const [port, metricsPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    robot = await RobotProcess.start({
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      ATPROTO_PLC_URL: fake.url,
      ATPROTO_HANDLE_RESOLVER: fake.url,
      DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1',
      // Events are info lines; they are counted even when the log keeps only warnings.
      LOG_LEVEL: 'warn',
    });

    const carol = new TestClient(url, url);
    assert.equal((await signUp(carol, fake, 'carol')).status, 303);
    const csrf = formField(await (await carol.request('/app/')).text(), '/app/wikis', 'csrf')!;
    assert.equal((await carol.form('/app/wikis', { slug: 'notes', display_name: 'Notes', csrf })).status, 303);

    const oauth = new OAuthTestClient({
      issuer: `${url}/w/notes`,
      browser: carol,
      backChannel: () => new TestClient(url, url),
      redirectUri: 'http://127.0.0.1:9/callback',
    });
    const { clientId } = await oauth.registerClient();
    const tokens = await (await oauth.redeem(clientId, await oauth.code(clientId))).json();
    const second = await (await oauth.refresh(clientId, tokens.refresh_token)).json();
    const third = await oauth.refresh(clientId, second.refresh_token);
    assert.equal(third.status, 200);
    secrets.push(tokens.access_token, tokens.refresh_token, second.refresh_token, (await third.json()).refresh_token);
    // The first refresh token again, after its successor was used: reuse, and the grant is revoked (RT-02).
    assert.equal((await oauth.refresh(clientId, tokens.refresh_token)).status, 400);
    // A second client the person turns down.
    const { clientId: declined } = await oauth.registerClient({ client_name: 'Declined' });
    assert.equal((await oauth.consent(await oauth.authorize(declined), 'deny')).status, 303);

    const fresh = await (await oauth.redeem(clientId, await oauth.code(clientId))).json();
    secrets.push(fresh.access_token);
    const mcp = await connectMcp(undefined, `${url}/w/notes/mcp`, fresh.access_token);
    try {
      await mcp.json('write_note', { path: 'Secret Plans', content: 'hello' });
      assert.equal((await mcp.call('read_note', { path: 'No Such Page' })).isError, true);
    } finally {
      await mcp.close();
    }
  });
  after(async () => {
    await robot?.stop();
    await database?.drop();
    await fake?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('OAuth events, logins and tool calls are counted, by name and outcome', async () => {
    const text = await (await fetch(metricsUrl)).text();
    const events = (event: string) => sample(text, 'robot_events_total', { event });
    assert.equal(events('atproto.login.completed'), 1);
    assert.equal(events('signup.completed'), 1);
    assert.equal(events('wiki.created'), 1);
    assert.equal(events('oauth.client.registered'), 2);
    assert.equal(events('oauth.code.issued'), 2);
    assert.equal(events('oauth.code.redeemed'), 2);
    assert.equal(events('oauth.refresh.rotated'), 2);
    assert.equal(events('oauth.refresh.replayed'), 1, 'reuse detected');
    assert.equal(events('oauth.consent.denied'), 1);
    assert.equal(sample(text, 'robot_events_total', { event: 'http' }), undefined, 'requests are measured by route, not as events');
    assert.equal(sample(text, 'robot_event_duration_seconds_count', { event: 'atproto.login.completed' }), 1, 'the login was timed');
    const tools = (tool: string, outcome: string) => sample(text, 'robot_mcp_tool_call_duration_seconds_count', { tool, outcome });
    assert.equal(tools('write_note', 'ok'), 1);
    assert.equal(tools('read_note', 'refused'), 1);
  });

  test('requests are timed by route pattern, and the pool is read when scraped', async () => {
    const text = await (await fetch(metricsUrl)).text();
    const requests = (method: string, route: string, status: string) =>
      sample(text, 'robot_http_request_duration_seconds_count', { method, route, status }) ?? 0;
    assert.equal(requests('POST', '/w/:slug/oauth/token', '200'), 4);
    assert.equal(requests('POST', '/w/:slug/oauth/token', '400'), 1);
    assert.ok(requests('POST', '/w/:slug/mcp', '200') >= 2, 'MCP calls');
    assert.doesNotMatch(text, /\/w\/notes|Secret Plans/, 'no concrete path or page name becomes a label');
    assert.ok(sample(text, 'robot_db_pool_connections', { state: 'total' })! >= 1);
    assert.ok(sample(text, 'robot_process_cpu_seconds_total')! > 0, 'process metrics');
  });

  test('no token value reaches the metrics', async () => {
    const text = await (await fetch(metricsUrl)).text();
    for (const secret of secrets) assert.equal(text.includes(secret), false);
  });

  test('the public port does not serve them; the metrics port serves nothing else', async () => {
    assert.equal((await fetch(`${url}/metrics`)).status, 404);
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/'))).status, 404);
    assert.equal((await fetch(metricsUrl, { method: 'POST' })).status, 404);
  });
});
