// IN-05 on every endpoint: fast-check drives every HTTP route the app registers (platform, wiki
// routes in path and host mode, well-knowns, OAuth, dashboard), every form our pages render (signed
// in, valid CSRF), every MCP tool through the real endpoint with a valid token, and both RPC methods
// over Connect, with hostile input (hostile.ts), on SQLite and PostgreSQL. Whatever arrives: no 5xx,
// no hang, no error-level log line, and nothing stored by a refused request (harness.ts). `npm test`
// makes a bounded run (BOUNDS); `npm run fuzz` a long one (FUZZ_RUNS, FUZZ_SECONDS); FUZZ_SEED replays
// a run.
import { after, before, describe, test } from 'node:test';
import { guardDials, type DialGuard } from '../helpers/dial-guard.ts';
import { FuzzTarget, type DatabaseKind } from './harness.ts';
import * as surfaces from './surfaces.ts';

const WIKI_HOST = 'https://notes.robot.example';
/** Inputs and seconds per property in `npm test`: at most 23 s a database (FUZZ_RUNS, FUZZ_SECONDS override). */
const BOUNDS = {
  tools: { runs: 150, seconds: 5 },
  rpc: { runs: 80, seconds: 4 },
  routes: { runs: 300, seconds: 7 },
  forms: { runs: 100, seconds: 3 },
  hostRoutes: { runs: 200, seconds: 4 },
};

for (const kind of ['sqlite', 'postgres'] as DatabaseKind[]) {
  describe(`IN-05: every entry point under fuzz (${kind})`, () => {
    let pathMode: FuzzTarget;
    let hostMode: FuzzTarget;
    let guard: DialGuard;

    before(async () => {
      // Nothing a fuzzed request makes the platform dial may leave this machine.
      guard = guardDials();
      [pathMode, hostMode] = await Promise.all([
        FuzzTarget.start(kind),
        FuzzTarget.start(kind, { PUBLIC_URL: 'https://robot.example', WIKI_DOMAIN: 'robot.example' }),
      ]);
    });
    after(async () => {
      await Promise.all([pathMode?.close(), hostMode?.close()]);
      guard?.release();
    });

    test('IN-05: every MCP tool, with hostile arguments through the real endpoint', async (t) => {
      const calls = surfaces.toolCalls(await surfaces.listTools(pathMode));
      await pathMode.fuzz(t, calls, (call) => surfaces.callTool(pathMode, call), BOUNDS.tools);
    });

    test('IN-05: both RPC methods over Connect, typed and raw', async (t) => {
      await pathMode.fuzz(t, surfaces.rpcCalls, (call) => surfaces.callRpc(pathMode, call), BOUNDS.rpc);
    });

    test('IN-05: every HTTP route of the platform and of path-mode wikis, signed in or not', async (t) => {
      const origin = pathMode.fixture.platform.config.publicUrl;
      const requests = surfaces.httpRequests(surfaces.endpoints(pathMode.app));
      await pathMode.fuzz(t, requests, (request) => surfaces.sendHttp(pathMode, origin, request), BOUNDS.routes);
    });

    test('IN-05: every form our pages render, signed in, with valid CSRF tokens and hostile fields', async (t) => {
      await pathMode.fuzz(t, surfaces.formSubmissions, (plan) => surfaces.submitForm(pathMode, plan), BOUNDS.forms);
    });

    test('IN-05: every HTTP route of a wiki on its own host', async (t) => {
      const requests = surfaces.httpRequests(surfaces.wikiHostEndpoints(hostMode.deps));
      await hostMode.fuzz(t, requests, (request) => surfaces.sendHttp(hostMode, WIKI_HOST, request), BOUNDS.hostRoutes);
    });
  });
}
