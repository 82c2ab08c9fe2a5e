// CS-02 and CS-03 on every route, path mode and host mode. The route lists come from the Hono apps
// themselves: a POST route missing from POSTS, or a GET route missing from GETS, fails the first test
// of its group, so nobody adds a form or a page without saying how it is guarded.
//
// CS-02: a cookie-authenticated POST is refused (403, nothing done) unless it comes from our own
// origin (Origin / Sec-Fetch-Site) AND carries its CSRF token. SameSite=Lax is no defence, since in
// host mode every wiki host is same-site with the platform (catalogue decision 4).
// CS-03: every HTML page, error pages included, forbids framing (X-Frame-Options: DENY and CSP
// frame-ancestors 'none').
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Hono } from 'hono';
import { wikiHostRoutes } from '../../src/authserver/routes.ts';
import type { Platform } from '../../src/main.ts';
import type { Wiki } from '../../src/store/wikis.ts';
import { authClient, browserSignsIn, newSecret } from '../helpers/cli-login.ts';
import { CAROL_DID, MALLORY_DID, VICTIM_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { loginThroughFake } from '../helpers/login-flow.ts';
import { OAuthTestClient } from '../helpers/oauth-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';
import { formField } from '../helpers/html.ts';
import { API_BASE } from '../../src/api/openapi.ts';
import { OPERATIONS } from '../../src/api/operations.ts';
import { honoPath } from '../../src/api/routes.ts';

const REDIRECT = 'https://app.example/callback';
/** Host mode: the platform at robot.example, wikis at {slug}.robot.example, one parent-domain cookie. */
const HOST_ENV = { PUBLIC_URL: 'https://robot.example', WIKI_DOMAIN: 'robot.example', COOKIE_DOMAIN: 'robot.example' };
const WIKI_HOST = 'https://notes.robot.example';

/** How a cross-site form arrives, as browsers send it. */
const HOSTILE: Record<string, Record<string, string>> = {
  'a sibling wiki host (same-site)': { origin: 'https://evil.robot.example', 'sec-fetch-site': 'same-site' },
  'another site': { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
  'a sandboxed frame (Origin: null)': { origin: 'null', 'sec-fetch-site': 'cross-site' },
  'no Origin and no fetch metadata': {},
};

/** The routes an app answers for `method` (middleware entries, which take `next`, left out). */
function routesOf(app: Hono, method: string, prefix = ''): string[] {
  const handlers = app.routes.filter((route) => route.method === method && route.handler.length < 2);
  return [...new Set(handlers.map((route) => `${method} ${prefix}${route.path}`))].sort();
}

const urlencoded = (form: Record<string, string>) => new URLSearchParams(form).toString();

/** One POST the way a page (or an attacker's page) sends it; no automatic Origin. Multipart with `files`. */
function send(
  client: TestClient,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string>,
  files?: Record<string, File>,
): Promise<Response> {
  if (files) {
    const body = new FormData();
    for (const [name, value] of [...Object.entries(form), ...Object.entries(files)]) body.set(name, value);
    return client.request(path, { method: 'POST', body, headers });
  }
  return client.request(path, {
    method: 'POST',
    body: urlencoded(form),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];

/** A form ready to be sent: who sends it (cookies and own origin), where, and how to tell it worked. */
interface FormCase {
  client: TestClient;
  path: string;
  /** The valid form, with its CSRF token as `csrf` (none for an origin-checked form). */
  form: Record<string, string>;
  /** File fields: the form is sent as multipart/form-data. */
  files?: Record<string, File>;
  done(): Promise<boolean>;
}

type PostGuard =
  | { kind: 'cookie form'; prepare(): Promise<FormCase> }
  | { kind: 'origin checked'; why: string; prepare(): Promise<FormCase> }
  | { kind: 'not cookie-authenticated'; why: string; check(): Promise<void> };

/** `status`: an answer with no body at all (a yes or no for a machine); `file`: an attachment's bytes. */
type PageKind = 'html' | 'json' | 'css' | 'script' | 'redirect' | 'status' | 'file';

describe('CS-02 and CS-03 on every route', () => {
  let fixture: WikiFixture;
  let platform: Platform;
  let carol: TestClient;
  let notes: Wiki;
  let hosted: TestPlatform;
  let hostCarol: TestClient;

  before(async () => {
    // Carol is also an administrator, so the admin forms are guarded with her session.
    fixture = await startWikiFixture({ ADMIN_DIDS: CAROL_DID });
    ({ carol } = fixture);
    platform = fixture.platform.platform;
    notes = (await platform.deps.wikis.findBySlug('notes'))!;
    await platform.deps.pages.write(notes.id, CAROL_DID, { path: 'Home', content: 'Hello' });

    hosted = await startTestPlatform(HOST_ENV);
    const { deps } = hosted.platform;
    const user = { did: CAROL_DID, username: 'carol', handle: 'carol.test' };
    await deps.users.create(user, deps.now());
    await deps.wikis.create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Notes' }, deps.now());
    hostCarol = new TestClient(hosted.platform.app, WIKI_HOST);
    hostCarol.cookies.set('platform_token', (await deps.sessions.mint(user, deps.now())).token);
  });
  after(async () => {
    await hosted?.close();
    await fixture?.close();
  });

  const dashboardCsrf = async () => csrfIn(await (await carol.request('/app/')).text())!;
  const newClient = (origin = fixture.platform.config.publicUrl) => new TestClient(platform.app, origin);

  /** An OAuth client of the wiki at `issuer` (path or host mode) served by `app`, with `browser` as the person's. */
  const oauthAt = (app: Hono, issuer: string, browser = new TestClient(app, issuer)) =>
    new OAuthTestClient({
      issuer,
      browser,
      backChannel: () => new TestClient(app, issuer),
      redirectUri: REDIRECT,
      metadata: { client_name: 'Guarded', grant_types: undefined },
    });
  const registerClient = async (app: Hono, issuer: string) => (await oauthAt(app, issuer).registerClient()).clientId;
  /** The browser opens an authorization request of a newly registered client: the consent page. */
  const authorizeNewClient = async (browser: TestClient, app: Hono, issuer: string) => {
    const oauth = oauthAt(app, issuer, browser);
    return oauth.authorize((await oauth.registerClient()).clientId);
  };

  /** A consent form at `issuer` (path or host mode) that `client` is looking at. */
  async function consentCase(client: TestClient, app: Hono, deps: Platform['deps'], issuer: string): Promise<FormCase> {
    const oauth = oauthAt(app, issuer, client);
    const clientId = (await oauth.registerClient()).clientId;
    const form = await oauth.consentForm(await oauth.authorize(clientId));
    const codes = () => deps.database.db.selectFrom('authorization_codes').select('code_hash').where('client_id', '=', clientId).execute();
    return {
      client,
      path: `${issuer}/oauth/consent`,
      form,
      done: async () => (await codes()).length > 0,
    };
  }

  /** The attachment upload form of a wiki page at `base` (path or host mode), as `client` sees it. */
  async function uploadCase(client: TestClient, deps: Platform['deps'], base: string): Promise<FormCase> {
    const wiki = (await deps.wikis.findBySlug('notes'))!;
    if (!(await deps.pages.list(wiki.id, { prefix: 'Home', limit: 1 })).items.length)
      await deps.pages.write(wiki.id, CAROL_DID, { path: 'Home', content: 'Hello' });
    const csrf = csrfIn(await (await client.request(`${base}/pages/Home`)).text())!;
    const attached = async () => (await deps.attachments.list(wiki.id, 'Home')).some((file) => file.name === 'cs02.txt');
    return { client, path: `${base}/attachments/Home`, form: { csrf }, files: { file: new File(['cs02'], 'cs02.txt') }, done: attached };
  }

  /** A dashboard form of carol's, with the session's CSRF token. */
  async function dashboardCase(path: string, form: Record<string, string>, done: () => Promise<boolean>): Promise<FormCase> {
    return { client: carol, path, form: { ...form, csrf: await dashboardCsrf() }, done };
  }

  const POSTS: Record<string, PostGuard> = {
    'POST /w/:slug/oauth/consent': {
      kind: 'cookie form',
      prepare: () => consentCase(carol, platform.app, platform.deps, fixture.issuer),
    },
    [`POST ${WIKI_HOST}/oauth/consent`]: {
      kind: 'cookie form',
      prepare: () => consentCase(hostCarol, hosted.platform.app, hosted.platform.deps, WIKI_HOST),
    },
    'POST /w/:slug/attachments/*': {
      kind: 'cookie form',
      prepare: () => uploadCase(carol, platform.deps, fixture.issuer),
    },
    [`POST ${WIKI_HOST}/attachments/*`]: {
      kind: 'cookie form',
      prepare: () => uploadCase(hostCarol, hosted.platform.deps, WIKI_HOST),
    },
    'POST /auth/signup': {
      kind: 'cookie form',
      async prepare() {
        const client = newClient();
        assert.equal((await loginThroughFake(client, fixture.fake, 'victim.test')).headers.get('location'), '/auth/signup');
        const csrf = csrfIn(await (await client.request('/auth/signup')).text())!;
        return {
          client,
          path: '/auth/signup',
          form: { username: 'victim', csrf },
          done: async () => Boolean(await platform.deps.users.findByDid(VICTIM_DID)),
        };
      },
    },
    'POST /auth/logout': {
      kind: 'cookie form',
      async prepare() {
        const client = newClient();
        const { token } = await platform.deps.sessions.mint({ did: CAROL_DID, username: 'carol', handle: 'carol.test' }, platform.deps.now());
        client.cookies.set('platform_token', token);
        const csrf = csrfIn(await (await client.request('/auth/logout')).text()) ?? 'none on the page';
        const me = () => newClient().request('/auth/me', { headers: { cookie: `platform_token=${token}` } });
        return { client, path: '/auth/logout', form: { csrf }, done: async () => (await me()).status === 401 };
      },
    },
    'POST /auth/cli/confirm': {
      kind: 'cookie form',
      async prepare() {
        const { secretHash } = newSecret();
        const started = await authClient(fixture.platform.url).initiateLogin({
          identifier: 'carol.test',
          secretHash,
          clientName: 'robot CLI',
        });
        const client = newClient();
        assert.equal((await browserSignsIn(client, fixture.fake)).headers.get('location'), '/auth/cli/confirm');
        const formToken = async () => formField(await (await client.request('/auth/cli/confirm')).text(), '/auth/cli/confirm', 'csrf');
        const csrf = (await formToken())!;
        return {
          client,
          path: '/auth/cli/confirm',
          form: { csrf, code: started.confirmationCode, decision: 'approve' },
          done: async () => (await formToken()) === undefined,
        };
      },
    },
    'POST /app/apps/:grantId/revoke': {
      kind: 'cookie form',
      async prepare() {
        const grant = await platform.deps.grants.approve(
          { wikiId: notes.id, clientId: 'cs02-app', userDid: CAROL_DID, scope: 'wiki:read' },
          platform.deps.now(),
        );
        const revoked = async () => !(await platform.deps.codes.isGrantActive(grant.id));
        return dashboardCase(`/app/apps/${grant.id}/revoke`, {}, revoked);
      },
    },
    'POST /app/wikis': {
      kind: 'cookie form',
      prepare: () =>
        dashboardCase('/app/wikis', { slug: 'cs02-new', display_name: 'New' }, async () => Boolean(await platform.deps.wikis.findBySlug('cs02-new'))),
    },
    'POST /app/wikis/:slug/tokens': {
      kind: 'cookie form',
      prepare: () =>
        dashboardCase('/app/wikis/notes/tokens', { name: 'cs02', access: 'read' }, async () =>
          (await platform.deps.wikiTokens.listForWiki(notes.id)).some((t) => t.name === 'cs02'),
        ),
    },
    'POST /app/wikis/:slug/tokens/:id/revoke': {
      kind: 'cookie form',
      async prepare() {
        const made = await platform.deps.wikiTokens.create(
          {
            wikiId: notes.id,
            ownerDid: CAROL_DID,
            name: 'doomed',
            tokenHash: `hash-${Math.random()}`,
            scope: 'wiki:read',
          },
          platform.deps.now(),
        );
        return dashboardCase(
          `/app/wikis/notes/tokens/${made.id}/revoke`,
          {},
          async () => !(await platform.deps.wikiTokens.listForWiki(notes.id)).some((t) => t.id === made.id),
        );
      },
    },
    'POST /app/wikis/:slug/members': {
      kind: 'cookie form',
      async prepare() {
        await platform.deps.wikis.removeMember(notes.id, MALLORY_DID, platform.deps.now());
        return dashboardCase('/app/wikis/notes/members', { account: MALLORY_DID, role: 'read' }, async () =>
          Boolean(await platform.deps.wikis.member(notes.id, MALLORY_DID)),
        );
      },
    },
    'POST /app/wikis/:slug/members/remove': {
      kind: 'cookie form',
      async prepare() {
        await platform.deps.wikis.setMember({ wikiId: notes.id, did: VICTIM_DID, handle: null, role: 'read' }, platform.deps.now());
        return dashboardCase('/app/wikis/notes/members/remove', { did: VICTIM_DID }, async () => !(await platform.deps.wikis.member(notes.id, VICTIM_DID)));
      },
    },
    'POST /app/wikis/:slug/settings': {
      kind: 'cookie form',
      async prepare() {
        await platform.deps.wikis.setDetails(notes.id, { displayName: 'Carol’s notes', description: '' });
        return dashboardCase(
          '/app/wikis/notes/settings',
          { display_name: 'Carol’s notes', description: 'Field notes' },
          async () => (await platform.deps.wikis.findBySlug('notes'))!.description === 'Field notes',
        );
      },
    },
    'POST /app/wikis/:slug/access': {
      kind: 'cookie form',
      async prepare() {
        await platform.deps.wikis.setAnonymousRead(notes.id, false);
        return dashboardCase(
          '/app/wikis/notes/access',
          { anonymous_read: 'on' },
          async () => (await platform.deps.wikis.findBySlug('notes'))!.anonymous_read === 1,
        );
      },
    },
    'POST /app/wikis/:slug/delete': {
      kind: 'cookie form',
      async prepare() {
        await platform.deps.wikis.create({ slug: 'cs02-doomed', ownerDid: CAROL_DID, displayName: 'Doomed' }, platform.deps.now());
        return dashboardCase('/app/wikis/cs02-doomed/delete', { confirm: 'cs02-doomed' }, async () => !(await platform.deps.wikis.findBySlug('cs02-doomed')));
      },
    },
    ...adminPosts(),
    'POST /app/account/delete': {
      kind: 'cookie form',
      async prepare() {
        // Someone else's account: carol's must outlive this test.
        const user = { did: 'did:plc:cs02deleteaaaaaaaaaaaaaa', username: 'cs02-delete', handle: null };
        await platform.deps.users.create(user, platform.deps.now());
        const client = newClient();
        client.cookies.set('platform_token', (await platform.deps.sessions.mint(user, platform.deps.now())).token);
        const csrf = csrfIn(await (await client.request('/app/account')).text())!;
        return {
          client,
          path: '/app/account/delete',
          form: { csrf, confirm: 'cs02-delete' },
          done: async () => !(await platform.deps.users.findByDid(user.did)),
        };
      },
    },
    'POST /auth/login': {
      kind: 'origin checked',
      why: 'it acts on no session: it only starts a login, and login CSRF is caught at the callback (ST-02)',
      async prepare() {
        const pars = () => fixture.fake.requestsTo('/oauth/par').length;
        const before = pars();
        return {
          client: newClient(),
          path: '/auth/login',
          form: { handle: 'carol.test' },
          done: async () => pars() > before,
        };
      },
    },
  };

  /** The admin page's forms, posted by carol (an admin) with her session's CSRF token. */
  function adminPosts(): Record<string, PostGuard> {
    const adminCase = async (path: string, form: Record<string, string>, done: () => Promise<boolean>): Promise<FormCase> => ({
      client: carol,
      path,
      form: { ...form, csrf: csrfIn(await (await carol.request('/admin/')).text())! },
      done,
    });
    const person = { did: 'did:plc:cs02suspendaaaaaaaaaaaaa', username: 'cs02-suspend', handle: null };
    const suspended = async () => (await platform.deps.users.standing(person.did)) === 'suspended';
    const wikiSuspended = async () => Boolean((await platform.deps.wikis.findBySlug('cs02-suspend'))?.suspended_at);
    const ensure = async () => {
      if (!(await platform.deps.users.findByDid(person.did))) await platform.deps.users.create(person, platform.deps.now());
      if (!(await platform.deps.wikis.findBySlug('cs02-suspend')))
        await platform.deps.wikis.create({ slug: 'cs02-suspend', ownerDid: person.did, displayName: 'Suspend me' }, platform.deps.now());
    };
    const invites = () => platform.deps.invites.list(100);
    return {
      'POST /admin/users/suspend': {
        kind: 'cookie form',
        async prepare() {
          await ensure();
          await platform.deps.admin.setUserSuspended(person.did, null);
          return adminCase('/admin/users/suspend', { did: person.did }, suspended);
        },
      },
      'POST /admin/users/reinstate': {
        kind: 'cookie form',
        async prepare() {
          await ensure();
          await platform.deps.admin.setUserSuspended(person.did, platform.deps.now());
          return adminCase('/admin/users/reinstate', { did: person.did }, async () => !(await suspended()));
        },
      },
      'POST /admin/wikis/suspend': {
        kind: 'cookie form',
        async prepare() {
          await ensure();
          await platform.deps.admin.setWikiSuspended('cs02-suspend', null);
          return adminCase('/admin/wikis/suspend', { slug: 'cs02-suspend' }, wikiSuspended);
        },
      },
      'POST /admin/wikis/reinstate': {
        kind: 'cookie form',
        async prepare() {
          await ensure();
          await platform.deps.admin.setWikiSuspended('cs02-suspend', platform.deps.now());
          return adminCase('/admin/wikis/reinstate', { slug: 'cs02-suspend' }, async () => !(await wikiSuspended()));
        },
      },
      'POST /admin/invites': {
        kind: 'cookie form',
        prepare: () => adminCase('/admin/invites', { note: 'cs02 invite' }, async () => (await invites()).some((invite) => invite.note === 'cs02 invite')),
      },
      'POST /admin/invites/revoke': {
        kind: 'cookie form',
        async prepare() {
          const made = await platform.deps.invites.create(
            { codeHash: `hash-${Math.random()}`, note: 'cs02 doomed', expiresAt: platform.deps.now() + 600 },
            platform.deps.now(),
          );
          return adminCase('/admin/invites/revoke', { id: made.id }, async () =>
            Boolean((await invites()).find((invite) => invite.id === made.id)?.revoked_at),
          );
        },
      },
    };
  }

  // OAuth and MCP endpoints are for programs: they authenticate clients and bearer tokens, never the
  // session cookie, and answer any origin by design (CORS *). The cookie buys nothing there.
  const cookieBuysNothing = (path: string, expected: number) => async () => {
    for (const [client, base] of [
      [carol, fixture.issuer],
      [hostCarol, WIKI_HOST],
    ] as const) {
      const response = await send(
        client,
        `${base}${path}`,
        { token: 'x', grant_type: 'authorization_code', code: 'x' },
        { origin: client.origin, 'sec-fetch-site': 'same-origin' },
      );
      assert.equal(response.status, expected, `${base}${path} with only the session cookie`);
    }
  };
  for (const [path, expected] of [
    ['/oauth/token', 401],
    ['/oauth/revoke', 401],
    ['/oauth/introspect', 401],
  ] as const) {
    const guard: PostGuard = {
      kind: 'not cookie-authenticated',
      why: 'client authentication (RFC 6749 §2.3) decides; a cookie alone is invalid_client',
      check: cookieBuysNothing(path, expected),
    };
    POSTS[`POST /w/:slug${path}`] = guard;
    POSTS[`POST ${WIKI_HOST}${path}`] = guard;
  }
  const mcpGuard: PostGuard = {
    kind: 'not cookie-authenticated',
    why: 'only a bearer token authenticates the MCP endpoint (RS-13); a cookie alone gets the 401 challenge',
    async check() {
      for (const [client, base] of [
        [carol, fixture.issuer],
        [hostCarol, WIKI_HOST],
      ] as const) {
        const response = await client.request(`${base}/mcp`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            origin: client.origin,
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        assert.equal(response.status, 401);
      }
    },
  };
  POSTS['POST /w/:slug/mcp'] = mcpGuard;
  POSTS[`POST ${WIKI_HOST}/mcp`] = mcpGuard;
  // The management API (/api/v1) takes bearer credentials only (API-02): with nothing but the session
  // cookie, from our own origin, every unsafe method is a 401 and nothing is made. Each route is called.
  const apiPath = (route: string) => route.replace(':slug', 'notes').replace(':did', VICTIM_DID).replace(':path{.+}', 'Home').replace(':id', 'x');
  const cookieOnlyApiCall = (method: string, route: string) => async () => {
    const wikisBefore = (await platform.deps.wikis.listForMember(CAROL_DID)).length;
    const response = await carol.request(apiPath(route), {
      method,
      body: JSON.stringify({ slug: 'fromcookie', name: 'x', content: 'x', role: 'write' }),
      headers: { 'content-type': 'application/json', origin: carol.origin, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(response.status, 401, `${method} ${route} with only the session cookie`);
    assert.equal((await platform.deps.wikis.listForMember(CAROL_DID)).length, wikisBefore, 'nothing made');
  };
  const API_ROUTE = /^(?:POST|PUT|PATCH|DELETE) (\/api\/v1\/.*)$/;
  /** The API's routes, as its router is built from them (src/api/routes.ts). */
  const apiRoutes = (method: string) =>
    OPERATIONS.filter((operation) => operation.method === method.toLowerCase()).map((operation) => honoPath(operation.path));
  for (const route of apiRoutes('POST')) {
    POSTS[`POST ${route}`] = {
      kind: 'not cookie-authenticated',
      why: 'the management API takes bearer credentials only (API-02)',
      check: cookieOnlyApiCall('POST', route),
    };
  }

  const registerGuard: PostGuard = {
    kind: 'not cookie-authenticated',
    why: 'registration is open to anyone (RFC 7591, rate-limited by DC-05) and never reads the cookie: ' + 'nothing it creates belongs to the person',
    async check() {
      const clientId = await registerClient(platform.app, fixture.issuer);
      const stored = await platform.deps.oauthClients.find(notes.id, clientId);
      assert.ok(stored && !stored.metadata.includes(CAROL_DID));
    },
  };
  POSTS['POST /w/:slug/oauth/register'] = registerGuard;
  POSTS[`POST ${WIKI_HOST}/oauth/register`] = registerGuard;

  /** The same client, remembering the last response it got (for a POST whose effect is its answer). */
  function watched(client: TestClient): { client: TestClient; last: () => Response | undefined } {
    let last: Response | undefined;
    const wrapper = Object.create(client) as TestClient;
    wrapper.request = async (...args: Parameters<TestClient['request']>) => {
      const response = await client.request(...args);
      last = response.clone();
      return response;
    };
    return { client: wrapper, last: () => last };
  }

  // The wiki's web view changes pages with the session cookie: path mode and wiki host alike, each
  // form carries the session's form token, which the editor page hands out.
  for (const [route, base, client, deps] of [
    ['/w/:slug', () => fixture.issuer, () => carol, () => platform.deps],
    [WIKI_HOST, () => WIKI_HOST, () => hostCarol, () => hosted.platform.deps],
  ] as const) {
    const wikiId = async () => (await deps().wikis.findBySlug('notes'))!.id;
    const exists = async (path: string) => (await deps().pages.list(await wikiId(), { limit: 1000 })).items.some((page) => page.path === path);
    const write = async (path: string, content: string, baseRevision?: number) =>
      deps().pages.write(await wikiId(), CAROL_DID, { path, content, baseRevision });
    const wikiCase = async (path: string, form: Record<string, string>, done: () => Promise<boolean>, sender = client()): Promise<FormCase> => {
      const csrf = csrfIn(await (await client().request(`${base()}/edit/Home`)).text())!;
      return { client: sender, path: `${base()}${path}`, form: { ...form, csrf }, done };
    };
    POSTS[`POST ${route}/edit/*`] = {
      kind: 'cookie form',
      prepare: () => wikiCase('/edit/CS02%20created', { content: 'made' }, () => exists('CS02 created')),
    };
    POSTS[`POST ${route}/preview`] = {
      kind: 'cookie form',
      prepare() {
        const { client: sender, last } = watched(client());
        return wikiCase(
          '/preview',
          { content: '**cs02**' },
          async () => last()?.status === 200 && (await last()!.text()).includes('<strong>cs02</strong>'),
          sender,
        );
      },
    };
    POSTS[`POST ${route}/rename/*`] = {
      kind: 'cookie form',
      async prepare() {
        await write('CS02 rename me', 'x');
        return wikiCase('/rename/CS02%20rename%20me', { new_path: 'CS02 renamed' }, () => exists('CS02 renamed'));
      },
    };
    POSTS[`POST ${route}/delete/*`] = {
      kind: 'cookie form',
      async prepare() {
        await write('CS02 doomed', 'x');
        return wikiCase('/delete/CS02%20doomed', { base_revision: '1' }, async () => !(await exists('CS02 doomed')));
      },
    };
    POSTS[`POST ${route}/restore/*`] = {
      kind: 'cookie form',
      async prepare() {
        await write('CS02 restore', 'first');
        await write('CS02 restore', 'second', 1);
        return wikiCase(
          '/restore/CS02%20restore',
          { revision: '1', base_revision: '2' },
          async () => (await deps().pages.history(await wikiId(), 'CS02 restore', 10)).items.length === 3,
        );
      },
    };
  }

  test('CS-02: every POST route, path mode and wiki host, is in the table', () => {
    const routes = [...routesOf(platform.app, 'POST'), ...routesOf(wikiHostRoutes(hosted.platform.deps)!, 'POST', WIKI_HOST)];
    assert.deepEqual(
      routes.filter((route) => !(route in POSTS)),
      [],
      'POST routes nobody said how to guard',
    );
    assert.deepEqual(
      Object.keys(POSTS).filter((key) => !routes.includes(key)),
      [],
      'table rows for routes that no longer exist',
    );
  });

  test('CS-02: other unsafe methods are only on the CORS-public OAuth and MCP endpoints, and the bearer-only management API', async () => {
    const programmatic = /\/(mcp|oauth\/(token|revoke|introspect))$/;
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      for (const route of apiRoutes(method)) await cookieOnlyApiCall(method, route)();
    }
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const routes = [...routesOf(platform.app, method), ...routesOf(wikiHostRoutes(hosted.platform.deps)!, method, WIKI_HOST)];
      assert.deepEqual(
        routes.filter((route) => !programmatic.test(route) && !API_ROUTE.test(route)),
        [],
        method,
      );
    }
  });

  for (const [route, guard] of Object.entries(POSTS)) {
    if (guard.kind === 'not cookie-authenticated') {
      test(`CS-02: ${route} is not cookie-authenticated: ${guard.why}`, () => guard.check());
      continue;
    }
    const refuses = guard.kind === 'cookie form' ? 'cross-site posts and posts without its CSRF token' : 'cross-site posts';
    test(`CS-02: ${route} (${guard.kind}) refuses ${refuses}`, async () => {
      const { client, path, form, files, done } = await guard.prepare();
      const own = { origin: client.origin, 'sec-fetch-site': 'same-origin' };
      for (const [from, headers] of Object.entries(HOSTILE)) {
        const response = await send(client, path, form, headers, files);
        assert.equal(response.status, 403, `from ${from}`);
        assert.equal(await done(), false, `nothing done for a post from ${from}`);
      }
      if (guard.kind === 'cookie form') {
        const { csrf: _token, ...withoutToken } = form;
        assert.equal((await send(client, path, withoutToken, own, files)).status, 403, 'own origin, no CSRF token');
        assert.equal((await send(client, path, { ...form, csrf: 'forged' }, own, files)).status, 403, 'own origin, a forged CSRF token');
        assert.equal(await done(), false, 'nothing done without the token');
      }
      const accepted = await send(client, path, form, own, files);
      assert.notEqual(accepted.status, 403, 'the same form from our own page is accepted');
      assert.equal(await done(), true, 'and takes effect');
    });
  }

  /** Requests that show what a GET route answers; HTML ones include the route's error pages. */
  const GETS: Record<string, { kind: PageKind; requests: Array<() => Promise<Response>> }> = {};
  const get = (client: () => TestClient, path: string) => () => client().request(path);
  const anonymous = () => newClient();
  const hostVisitor = () => new TestClient(hosted.platform.app, WIKI_HOST);
  const page = (route: string, kind: PageKind, ...requests: Array<() => Promise<Response>>) => (GETS[route] = { kind, requests });

  page('GET /', 'html', get(anonymous, '/'));
  page('GET /healthz', 'json', get(anonymous, '/healthz'));
  for (const route of [...apiRoutes('GET'), `${API_BASE}/openapi.json`])
    page(
      `GET ${route}`,
      'json',
      get(() => carol, apiPath(route)),
    );
  page('GET /tls/allowed', 'status', get(anonymous, '/tls/allowed?domain=nowhere.example'));
  page('GET /static/:file', 'css', get(anonymous, '/static/app.css'));
  page('GET /.well-known/jwks.json', 'json', get(anonymous, '/.well-known/jwks.json'));
  page('GET /.well-known/oauth-authorization-server/w/:slug', 'json', get(anonymous, '/.well-known/oauth-authorization-server/w/notes'));
  page('GET /.well-known/openid-configuration/w/:slug', 'json', get(anonymous, '/.well-known/openid-configuration/w/notes'));
  page('GET /.well-known/oauth-protected-resource/w/:slug/mcp', 'json', get(anonymous, '/.well-known/oauth-protected-resource/w/notes/mcp'));
  page('GET /w/:slug/.well-known/oauth-authorization-server', 'json', get(anonymous, '/w/notes/.well-known/oauth-authorization-server'));
  page('GET /w/:slug/.well-known/openid-configuration', 'json', get(anonymous, '/w/notes/.well-known/openid-configuration'));
  page('GET /w/:slug/oauth/jwks.json', 'json', get(anonymous, '/w/notes/oauth/jwks.json'));
  for (const endpoint of ['token', 'revoke', 'introspect']) page(`GET /w/:slug/oauth/${endpoint}`, 'json', get(anonymous, `/w/notes/oauth/${endpoint}`));
  page('GET /w/:slug/mcp', 'json', get(anonymous, '/w/notes/mcp'));
  page(
    'GET /w/:slug/oauth/authorize',
    'html',
    () => authorizeNewClient(carol, platform.app, fixture.issuer),
    get(() => carol, '/w/notes/oauth/authorize?client_id=mcp_unknown'),
    get(() => carol, '/w/nowhere/oauth/authorize'),
  );
  page(
    'GET /w/:slug',
    'html',
    get(() => carol, '/w/notes'),
    get(() => carol, '/w/nowhere'),
  );
  page(
    'GET /w/:slug/',
    'redirect',
    get(() => carol, '/w/notes/'),
  );
  page(
    'GET /w/:slug/pages/*',
    'html',
    get(() => carol, '/w/notes/pages/Home'),
    get(() => carol, '/w/notes/pages/Nope'),
  );
  page(
    'GET /w/:slug/attachments/*',
    'file',
    async () => {
      await platform.deps.attachments.upload(notes.id, CAROL_DID, { path: 'Home', filename: 'page.html', size: 6, bytes: [Buffer.from('<html>')] });
      return carol.request('/w/notes/attachments/Home/page.html');
    },
    get(() => carol, '/w/notes/attachments/Home/missing.png'),
  );
  page(
    `GET ${WIKI_HOST}/attachments/*`,
    'file',
    get(() => hostCarol, '/attachments/Nope/missing.png'),
  );
  page(
    'GET /w/:slug/history/*',
    'html',
    get(() => carol, '/w/notes/history/Home'),
  );
  page('GET /auth/client-metadata.json', 'json', get(anonymous, '/auth/client-metadata.json'));
  page('GET /auth/jwks.json', 'json', get(anonymous, '/auth/jwks.json'));
  page('GET /auth/login', 'html', get(anonymous, '/auth/login'));
  page('GET /auth/callback', 'html', get(anonymous, '/auth/callback'), get(anonymous, '/auth/callback?state=forged&code=x'));
  page('GET /auth/signup', 'html', get(anonymous, '/auth/signup'), async () => {
    const client = newClient();
    await loginThroughFake(client, fixture.fake, 'mallory.test');
    return client.request('/auth/signup');
  });
  page(
    'GET /auth/logout',
    'html',
    get(anonymous, '/auth/logout'),
    get(() => carol, '/auth/logout'),
  );
  page('GET /auth/me', 'json', get(anonymous, '/auth/me'));
  page(
    'GET /app/',
    'html',
    get(() => carol, '/app/'),
  );
  page(
    'GET /app/wikis/:slug',
    'html',
    get(() => carol, '/app/wikis/notes'),
    get(() => carol, '/app/wikis/nowhere'),
  );
  page('GET /auth/cli/confirm', 'html', get(anonymous, '/auth/cli/confirm'));
  page('GET /admin', 'redirect', get(anonymous, '/admin'));
  page(
    'GET /admin/',
    'html',
    get(() => carol, '/admin/'),
    // A signed-in person who is not an admin gets the 403 page.
    async () => {
      const outsider = { did: 'did:plc:cs03outsideraaaaaaaaaaaa', username: 'cs03-outsider', handle: null };
      if (!(await platform.deps.users.findByDid(outsider.did))) await platform.deps.users.create(outsider, platform.deps.now());
      const client = newClient();
      client.cookies.set('platform_token', (await platform.deps.sessions.mint(outsider, platform.deps.now())).token);
      return client.request('/admin/');
    },
  );
  page(
    'GET /app/account',
    'html',
    get(() => carol, '/app/account'),
  );
  // The wiki host (host mode) serves the same issuer, MCP endpoint and web view at its root.
  for (const path of [
    '/.well-known/oauth-protected-resource/mcp',
    '/.well-known/oauth-protected-resource',
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
    '/oauth/jwks.json',
    '/oauth/token',
    '/oauth/revoke',
    '/oauth/introspect',
    '/mcp',
  ]) {
    page(`GET ${WIKI_HOST}${path}`, 'json', get(hostVisitor, path));
  }
  page(
    `GET ${WIKI_HOST}/oauth/authorize`,
    'html',
    () => authorizeNewClient(hostCarol, hosted.platform.app, WIKI_HOST),
    get(() => hostCarol, '/oauth/authorize?client_id=mcp_unknown'),
  );
  page(
    `GET ${WIKI_HOST}/`,
    'html',
    get(() => hostCarol, '/'),
    get(() => new TestClient(hosted.platform.app, 'https://nowhere.robot.example'), '/'),
  );
  page(
    `GET ${WIKI_HOST}/pages/*`,
    'html',
    get(() => hostCarol, '/pages/Nope'),
  );
  page(
    `GET ${WIKI_HOST}/history/*`,
    'html',
    get(() => hostCarol, '/history/Nope'),
  );

  // The web view's other pages, in path mode and on the wiki host.
  for (const [route, prefix, client] of [
    ['/w/:slug', '/w/notes', () => carol],
    [WIKI_HOST, '', () => hostCarol],
  ] as const) {
    const at = (path: string) => get(client, `${prefix}${path}`);
    page(`GET ${route}/edit/*`, 'html', at('/edit/Home'), at('/edit/Bad%7Cname'));
    page(`GET ${route}/rename/*`, 'html', at('/rename/Home'), at('/rename/Nope'));
    page(`GET ${route}/delete/*`, 'html', at('/delete/Home'), at('/delete/Nope'));
    page(`GET ${route}/search`, 'html', at('/search?q=hello'));
    page(`GET ${route}/changes`, 'html', at('/changes'));
    page(`GET ${route}/new`, 'redirect', at('/new?path=Ideas'));
    page(`GET ${route}/assets/:name`, 'script', async () => {
      const editor = await (await client().request(`${prefix}/edit/Home`)).text();
      return client().request(/src="([^"]+\/assets\/editor-[0-9a-f]+\.js)"/.exec(editor)![1]!);
    });
  }

  /** Error pages that belong to no GET route: unknown addresses, refused and oversized posts. */
  const ERROR_PAGES: Record<string, () => Promise<Response>> = {
    'an unknown address': get(anonymous, '/no/such/page'),
    'an unknown address on a wiki host': get(hostVisitor, '/no/such/page'),
    'a cross-site post refused (403)': () => send(carol, '/app/wikis', { slug: 'x' }, HOSTILE['another site']!),
    'a consent refused (403)': () => send(carol, '/w/notes/oauth/consent', { request_id: 'x' }, HOSTILE['another site']!),
    'an oversized form (413)': () => newClient().form('/auth/login', { handle: 'x'.repeat(5000) }),
  };

  const assertUnframeable = (response: Response, label: string) => {
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/, label);
    assert.equal(response.headers.get('x-frame-options'), 'DENY', label);
    assert.match(response.headers.get('content-security-policy') ?? '', /(^|;)\s*frame-ancestors 'none'(;|$)/, label);
  };

  /** Issue 12: a served attachment is never framed, sniffed or allowed to run anything. */
  const assertSandboxedFile = (response: Response, label: string) => {
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', label);
    assert.match(response.headers.get('content-security-policy') ?? '', /^sandbox; default-src 'none'; frame-ancestors 'none'/, label);
    assert.equal(response.headers.get('x-frame-options'), 'DENY', label);
  };

  test('CS-03: every GET route, path mode and wiki host, is in the table', () => {
    const routes = [...routesOf(platform.app, 'GET'), ...routesOf(wikiHostRoutes(hosted.platform.deps)!, 'GET', WIKI_HOST)];
    assert.deepEqual(
      routes.filter((route) => !(route in GETS)),
      [],
      'GET routes nobody said what they answer',
    );
    assert.deepEqual(
      Object.keys(GETS).filter((key) => !routes.includes(key)),
      [],
      'table rows for routes that no longer exist',
    );
  });

  for (const [route, { kind, requests }] of Object.entries(GETS)) {
    const what = kind === 'html' ? 'html that refuses to be framed, error pages too' : kind === 'file' ? 'sandboxed files, unframeable error pages' : kind;
    test(`CS-03: ${route} answers ${what}`, async () => {
      for (const [index, request] of requests.entries()) {
        const response = await request();
        const label = `${route} #${index + 1} (${response.status})`;
        if (kind === 'html' || (kind === 'file' && response.status !== 200)) assertUnframeable(response, label);
        else if (kind === 'file') assertSandboxedFile(response, label);
        else if (kind === 'redirect') assert.ok(response.status >= 300 && response.status < 400 && response.headers.get('location'), label);
        else if (kind === 'status') assert.equal(await response.text(), '', label);
        else
          assert.match(
            response.headers.get('content-type') ?? '',
            { json: /^application\/(problem\+)?json/, css: /^text\/css/, script: /^text\/javascript/ }[kind],
            label,
          );
      }
    });
  }

  for (const [name, request] of Object.entries(ERROR_PAGES)) {
    test(`CS-03: the error page for ${name} refuses to be framed`, async () => {
      const response = await request();
      assert.ok(response.status >= 400, `${name}: ${response.status}`);
      assertUnframeable(response, name);
    });
  }
});
