// The MCP conformance suite (@modelcontextprotocol/conformance, its own CLI) against the live wiki
// endpoint over real HTTP: every server scenario of each protocol revision it tests, plus a direct
// handshake at each revision the suite has no scenario for, and its authorization-server scenarios
// against the wiki's issuer (metadata, and a whole code grant that carol approves). The suite cannot send a bearer token,
// so it reaches the endpoint through a loopback proxy that adds one (test/helpers/bearer-proxy.ts):
// the real verification, scope check and Origin check all run.
//
// Scenarios and checks that exercise the suite's own fixture server (its test_* tools, prompts,
// test:// resources, logging) are listed below, each with why it does not apply to a wiki; they go to
// the suite as its expected-failures baseline, which fails the run both when anything else fails and
// when a listed one starts passing (a stale entry). Everything else must pass.
import { formField } from '../helpers/html.ts';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startBearerProxy, type BearerProxy } from '../helpers/bearer-proxy.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { accessTokenFor } from '../helpers/mcp.ts';
import { freePort } from '../helpers/platform.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const run = promisify(execFile);
const CONFORMANCE_CLI = path.join(path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')), 'dist/index.js');

const FIXTURE_TOOL = 'calls a tool of the suite’s fixture server, which a wiki does not have';
const NO_PROMPTS = 'prompts: the wiki offers none and declares no prompts capability, so -32601 is the right answer';
const FIXTURE_RESOURCE = 'reads a test:// resource of the suite’s fixture server; the wiki’s are wiki:/// pages';
const NO_LOGGING = 'logging/setLevel: the wiki declares no logging capability (deprecated in 2026-07-28)';
const NO_SUBSCRIBE = 'resources/subscribe: the wiki declares no subscribe capability (stateless, see docs/architecture.md)';
const STATELESS = '2025 sessions and their GET streams: the endpoint is stateless by design (2025-03-26 Streamable HTTP lets a server issue no session)';
const INPUT_REQUIRED = 'a fixture tool that returns input_required; the wiki’s tools never ask the client for input';

/** Scenario, or `scenario:check`, → why it does not apply. */
const NOT_APPLICABLE: Record<string, string> = {
  'completion-complete': 'completes an argument of the fixture prompt test_prompt_with_arguments (the wiki completes page paths)',
  'logging-set-level': NO_LOGGING,
  'tools-call-with-logging': NO_LOGGING,
  'tools-call-simple-text': FIXTURE_TOOL,
  'tools-call-image': FIXTURE_TOOL,
  'tools-call-audio': FIXTURE_TOOL,
  'tools-call-embedded-resource': FIXTURE_TOOL,
  'tools-call-mixed-content': FIXTURE_TOOL,
  'tools-call-error': FIXTURE_TOOL,
  'tools-call-with-progress': FIXTURE_TOOL,
  'tools-call-sampling': FIXTURE_TOOL,
  'tools-call-elicitation': FIXTURE_TOOL,
  'elicitation-sep1034-defaults': FIXTURE_TOOL,
  'elicitation-sep1330-enums': FIXTURE_TOOL,
  'json-schema-2020-12': FIXTURE_TOOL,
  'resources-read-text': FIXTURE_RESOURCE,
  'resources-read-binary': FIXTURE_RESOURCE,
  'resources-templates-read': FIXTURE_RESOURCE,
  'resources-subscribe': NO_SUBSCRIBE,
  'resources-unsubscribe': NO_SUBSCRIBE,
  'prompts-list': NO_PROMPTS,
  'prompts-get-simple': NO_PROMPTS,
  'prompts-get-with-args': NO_PROMPTS,
  'prompts-get-embedded-resource': NO_PROMPTS,
  'prompts-get-with-image': NO_PROMPTS,
  'caching:sep-2549-prompts-list-caching-hints': NO_PROMPTS,
  'http-custom-header-server-validation': 'needs a tool with x-mcp-header parameters (SEP-2243); no wiki tool mirrors a parameter into a header',
  'server-stateless:sep-2575-server-rejects-undeclared-capability': `${FIXTURE_TOOL} (test_missing_capability)`,
  'server-stateless:sep-2575-missing-capability-http-400': `${FIXTURE_TOOL} (test_missing_capability)`,
  'server-stateless:sep-2575-http-server-no-independent-requests-on-stream': `${FIXTURE_TOOL} (test_streaming_elicitation)`,
  'server-stateless:sep-2575-server-no-log-without-loglevel': `${FIXTURE_TOOL} (test_logging_tool)`,
  'input-required-result-basic-elicitation': INPUT_REQUIRED,
  'input-required-result-basic-sampling': INPUT_REQUIRED,
  'input-required-result-basic-list-roots': INPUT_REQUIRED,
  'input-required-result-request-state': INPUT_REQUIRED,
  'input-required-result-multiple-input-requests': INPUT_REQUIRED,
  'input-required-result-multi-round': INPUT_REQUIRED,
  'input-required-result-non-tool-request': 'a fixture prompt that returns input_required; the wiki has no prompts',
  'input-required-result-result-type': INPUT_REQUIRED,
  'input-required-result-tampered-state': INPUT_REQUIRED,
  'input-required-result-capability-check': INPUT_REQUIRED,
  'input-required-result-missing-input-response': INPUT_REQUIRED,
  'input-required-result-ignore-extra-params': INPUT_REQUIRED,
  // A warning, not a failure, in the suite's own report; its baseline counts it.
  'server-sse-polling:server-sse-polling-session': STATELESS,
  'server-sse-multiple-streams:server-sse-multiple-streams-session': STATELESS,
};

/**
 * The browser following the redirect to the suite's callback listener. The listener may not be up
 * yet on a busy machine, and closes as soon as it has the code, sometimes before its answer is
 * complete: a failed attempt is retried until the suite has exited or a few seconds have passed.
 */
async function deliver(location: string, suite: { exitCode: number | null }): Promise<void> {
  for (let attempt = 0; attempt < 20 && suite.exitCode === null; attempt++) {
    const delivered = await fetch(location).then(
      () => true,
      () => false,
    );
    if (delivered) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The revisions the suite has server scenarios for (2024-11-05 has none; see the handshake test). */
const SUITE_REVISIONS = ['2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'];

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

describe('MCP conformance suite against the live wiki endpoint', () => {
  let fixture: WikiFixture;
  let proxy: BearerProxy;
  let mcpUrl: string;
  let workDir: string;

  before(async () => {
    fixture = await startWikiFixture();
    const { deps } = fixture.platform.platform;
    const wiki = (await deps.wikis.findBySlug('notes'))!;
    await deps.pages.write(wiki.id, CAROL_DID, { path: 'Home', content: 'Start here: [[Projects/Robot Arm]]' });
    const { token } = await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID);
    proxy = await startBearerProxy(fixture.platform.url, token);
    mcpUrl = `${proxy.url}/w/notes/mcp`;
    workDir = mkdtempSync(path.join(os.tmpdir(), 'robot-conformance-'));
    const baseline = `server:\n${Object.keys(NOT_APPLICABLE)
      .map((entry) => `  - ${entry}`)
      .join('\n')}\n`;
    writeFileSync(path.join(workDir, 'not-applicable.yml'), baseline);
  });
  after(async () => {
    await proxy?.close();
    await fixture?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** Every check the suite recorded, by scenario (from its results directory). */
  function checksOf(outputDir: string): Map<string, Check[]> {
    const byScenario = new Map<string, Check[]>();
    for (const entry of readdirSync(outputDir)) {
      const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, '');
      byScenario.set(scenario, JSON.parse(readFileSync(path.join(outputDir, entry, 'checks.json'), 'utf8')) as Check[]);
    }
    return byScenario;
  }

  for (const revision of SUITE_REVISIONS) {
    test(`every server scenario of ${revision} passes, but those that need the suite's fixture server`, async () => {
      const outputDir = path.join(workDir, revision);
      const args = [CONFORMANCE_CLI, 'server', '--url', mcpUrl, '--suite', 'all', '--spec-version', revision];
      const options = { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 };
      const outcome = await run(process.execPath, [...args, '--expected-failures', path.join(workDir, 'not-applicable.yml'), '-o', outputDir], options).then(
        () => 'passed',
        (error: { stdout?: string }) => `failed:\n${error.stdout?.slice(-6000)}`,
      );
      const checks = checksOf(outputDir);
      const unexpected = [...checks].flatMap(([scenario, list]) =>
        list
          .filter((check) => ['FAILURE', 'WARNING'].includes(check.status) && !(scenario in NOT_APPLICABLE) && !(`${scenario}:${check.id}` in NOT_APPLICABLE))
          .map((check) => `${scenario}: ${check.id}: ${check.errorMessage}`),
      );
      assert.deepEqual(unexpected, []);
      assert.equal(outcome, 'passed');
      assert.ok(checks.size > 0, 'the suite ran scenarios');
      if (revision === '2026-07-28') {
        // The scenarios issue 14 names, by name: they must have run and passed here.
        for (const scenario of ['server-stateless', 'http-header-validation', 'caching', 'dns-rebinding-protection', 'sep-2164-resource-not-found']) {
          const passed = checks.get(scenario)?.filter((check) => check.status === 'SUCCESS').length ?? 0;
          assert.ok(passed > 0, `${scenario} ran and passed checks`);
        }
      }
      if (revision === '2025-11-25') assert.ok(checks.get('dns-rebinding-protection')?.every((check) => check.status !== 'FAILURE'));
    });
  }

  test('authorization-server scenarios: metadata, and a code grant carol approves in her browser session', async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/callback`;
    const registered = await fetch(`${fixture.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'conformance',
        redirect_uris: [redirect],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      }),
    });
    assert.equal(registered.status, 201);
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    const outputDir = path.join(workDir, 'authorization');
    const resource = `${fixture.platform.config.publicUrl}/w/notes/mcp`;
    const args = [
      CONFORMANCE_CLI,
      'authorization',
      '--url',
      fixture.issuer,
      '--client-id',
      clientId,
      '--resource',
      resource,
      '--port',
      String(port),
      '-o',
      outputDir,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let opened = false;
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // The suite prints the authorization URL for a person to open; carol opens it and approves, and
    // her browser follows the redirect to the suite's callback listener.
    const approved = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', async (chunk: Buffer) => {
        output += chunk.toString();
        const url = /^(http\S+\/oauth\/authorize\?\S+)$/m.exec(output)?.[1];
        if (!url || opened) return;
        opened = true;
        try {
          const consentPage = await fixture.carol.request(url);
          const html = await consentPage.text();
          const field = (name: string) => formField(html, '/oauth/consent', name)!;
          const answer = await fixture.carol.form(`${fixture.issuer}/oauth/consent`, {
            request_id: field('request_id'),
            csrf: field('csrf'),
            decision: 'approve',
          });
          const location = answer.headers.get('location')!;
          assert.ok(location.startsWith(redirect), location);
          await deliver(location, child);
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill(), 60_000);
    try {
      await approved;
      assert.equal(await exited, 0, output.slice(-3000));
    } finally {
      clearTimeout(timer);
    }
    const checks = [...checksOf(outputDir).values()].flat();
    assert.deepEqual(
      checks.filter((check) => check.status !== 'SUCCESS').map((check) => `${check.id}: ${check.status} ${check.errorMessage ?? ''}`),
      [],
    );
    for (const id of ['authorization-server-metadata', 'authorization-code-grant'])
      assert.ok(
        checks.some((check) => check.id === id),
        id,
      );
  });

  test('each 2024-11-05 … 2025-11-25 client gets its own revision from initialize, then lists the tools', async () => {
    for (const revision of ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']) {
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        fetch(mcpUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify(body),
        });
      const params = { protocolVersion: revision, capabilities: {}, clientInfo: { name: 'handshake-test', version: '1' } };
      const initialized = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params });
      assert.equal(initialized.status, 200, revision);
      const { result } = await initialized.json();
      assert.equal(result.protocolVersion, revision);
      assert.equal(result.serverInfo.title, 'Carol’s notes');
      const listed = await post(
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
        revision === '2024-11-05' ? {} : { 'mcp-protocol-version': revision },
      );
      assert.equal(listed.status, 200, revision);
      assert.ok((await listed.json()).result.tools.some((tool: { name: string }) => tool.name === 'read_note'));
    }
  });
});
