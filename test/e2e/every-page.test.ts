// Every page of the site in Chromium, as the wiki's owner, as a collaborator and anonymously, at
// 360, 390 and 1280 px: nothing scrolls sideways, axe-core finds no serious or critical violation,
// touch targets are 44 px at phone widths (test/helpers/page-checks.ts). Screenshots of each page at
// 360 and 1280 land in test-results/screenshots/walk/. To add a page, add it to EVERY_PAGE.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { authClient, browserSignsIn, newSecret } from '../helpers/cli-login.ts';
import { CAROL_DID, MALLORY_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { loginThroughFake } from '../helpers/login-flow.ts';
import { OAuthTestClient } from '../helpers/oauth-client.ts';
import { checkPageAtWidths, type PageProblem } from '../helpers/page-checks.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const SCREENSHOTS = 'test-results/screenshots/walk';
/** A loopback redirect URI (RFC 8252 §7.3): nothing in this test follows it, and it names no public host. */
const REDIRECT = 'http://127.0.0.1:9/callback';

type Viewer = 'owner' | 'collaborator' | 'anonymous';
const EVERYONE: readonly Viewer[] = ['owner', 'collaborator', 'anonymous'];
const SIGNED_IN: readonly Viewer[] = ['owner', 'collaborator'];

/** What the walk set up: the platform's origin and the addresses that need a registered client. */
interface Walk {
  base: string;
  /** A consent page: a client neither viewer has connected yet, at the wiki both may use. */
  consentUrl: string;
  /** A consent request at a wiki the collaborator is not a member of. */
  deniedUrl: string;
}

interface WalkPage {
  name: string;
  viewers: readonly Viewer[];
  /** The page's main heading, to be sure the walk reached the page it meant to. */
  heading: RegExp;
  /** Brings the browser to the page: a visit, or the steps of a form whose answer is the page. */
  open: (page: Page, walk: Walk) => Promise<unknown>;
}

const visit = (path: string | ((walk: Walk) => string)) => (page: Page, walk: Walk) => page.goto(typeof path === 'string' ? `${walk.base}${path}` : path(walk));

export const EVERY_PAGE: WalkPage[] = [
  { name: 'landing', viewers: EVERYONE, heading: /Wikis your AI assistants can read and write/, open: visit('/') },
  { name: 'login', viewers: ['anonymous'], heading: /^Log in$/, open: visit('/auth/login') },
  { name: 'signup', viewers: ['anonymous'], heading: /^Welcome/, open: visit('/auth/signup') },
  { name: 'dashboard-and-connected-apps', viewers: SIGNED_IN, heading: /^Your wikis$/, open: visit('/app/') },
  { name: 'account', viewers: SIGNED_IN, heading: /^Your account$/, open: visit('/app/account') },
  {
    name: 'dashboard-form-error',
    viewers: ['owner'],
    heading: /^Your wikis$/,
    open: async (page, walk) => {
      await page.goto(`${walk.base}/app/`);
      await page.fill('#slug', 'No Spaces!');
      await page.fill('#display_name', 'A wiki');
      await page.getByRole('button', { name: 'Create wiki' }).click();
      await page.locator('#slug[aria-invalid=true]').waitFor();
    },
  },
  { name: 'wiki-settings', viewers: SIGNED_IN, heading: /^Carol’s notes$/, open: visit('/app/wikis/notes') },
  { name: 'members-saved', viewers: ['owner'], heading: /^Carol’s notes$/, open: visit('/app/wikis/notes?done=member-saved') },
  {
    name: 'token-made',
    viewers: SIGNED_IN,
    heading: /^Carol’s notes$/,
    open: async (page, walk) => {
      await page.goto(`${walk.base}/app/wikis/notes`);
      await page.fill('#token_name', 'walk');
      await page.getByRole('button', { name: 'Make a token' }).click();
      await page.locator('#new-token').waitFor();
    },
  },
  { name: 'consent', viewers: SIGNED_IN, heading: /^Allow access to Carol’s notes\?$/, open: visit((walk) => walk.consentUrl) },
  { name: 'consent-denied', viewers: ['collaborator'], heading: /^Walk App cannot use Carol’s diary$/, open: visit((walk) => walk.deniedUrl) },
  { name: 'mcp-address', viewers: EVERYONE, heading: /^Connect an assistant to Carol’s notes$/, open: visit('/w/notes/mcp') },
  { name: 'cli-confirm', viewers: ['owner'], heading: /^Log in to the robot command line$/, open: visit('/auth/cli/confirm') },
  { name: 'logout', viewers: SIGNED_IN, heading: /^Log out\?$/, open: visit('/auth/logout') },
  { name: 'not-found', viewers: EVERYONE, heading: /^Not found$/, open: visit('/no/such/page') },
  // The wiki in the browser (src/wiki/web-view.tsx, web-edit.tsx): its root is its Home page, not written yet here.
  { name: 'wiki-root', viewers: EVERYONE, heading: /^Home$/, open: visit('/w/notes') },
  { name: 'wiki-page', viewers: EVERYONE, heading: /^Robot Arm$/, open: visit('/w/notes/pages/Projects/Robot%20Arm') },
  { name: 'wiki-page-old-revision', viewers: EVERYONE, heading: /^Robot Arm$/, open: visit('/w/notes/pages/Projects/Robot%20Arm?revision=1') },
  { name: 'wiki-missing-page', viewers: EVERYONE, heading: /^Nothing here$/, open: visit('/w/notes/pages/Nothing%20here') },
  { name: 'wiki-page-history', viewers: EVERYONE, heading: /^History of Projects\/Robot Arm$/, open: visit('/w/notes/history/Projects/Robot%20Arm') },
  { name: 'wiki-search', viewers: EVERYONE, heading: /^Search$/, open: visit('/w/notes/search?q=servos') },
  { name: 'wiki-changes', viewers: EVERYONE, heading: /^Recent changes$/, open: visit('/w/notes/changes') },
  { name: 'wiki-editor', viewers: SIGNED_IN, heading: /^Edit Projects\/Robot Arm$/, open: visit('/w/notes/edit/Projects/Robot%20Arm') },
  { name: 'wiki-editor-new-page', viewers: SIGNED_IN, heading: /^Create Ideas$/, open: visit('/w/notes/edit/Ideas') },
  { name: 'wiki-rename', viewers: SIGNED_IN, heading: /^Rename “Parts”$/, open: visit('/w/notes/rename/Parts') },
  { name: 'wiki-delete', viewers: SIGNED_IN, heading: /^Delete “Parts”\?$/, open: visit('/w/notes/delete/Parts') },
];

const ROBOT_ARM = `# Robot arm

Servo torque and gearing notes for the arm on the workbench. Parts list: [[Parts]], wiring in [[Wiring/Shoulder joint]].

| Joint | Servo | Torque (kg·cm) | Notes |
| --- | --- | --- | --- |
| Shoulder | MG996R | 11 | needs the metal-gear version, the plastic one stripped twice |
| Elbow | MG90S | 2.2 | fine |

A long address that must wrap on a phone: https://example.invalid/a/very/long/path/that/keeps/going/and/going/without/any/spaces/at/all
`;

describe('every page, as owner, collaborator and anonymous, at 360, 390 and 1280 px', () => {
  let fixture: WikiFixture;
  let browser: Browser;
  let walk: Walk;
  const contexts = {} as Record<Viewer, BrowserContext>;

  before(async () => {
    fixture = await startWikiFixture();
    const { platform, carol, fake } = fixture;
    const { deps } = platform.platform;
    const base = platform.config.publicUrl;
    const notes = (await deps.wikis.findBySlug('notes'))!;
    await deps.wikis.setDetails(notes.id, { displayName: 'Carol’s notes', description: 'Field notes on the robot arm and the garden.' });
    await deps.wikis.setAnonymousRead(notes.id, true);
    await deps.pages.write(notes.id, CAROL_DID, { path: 'Projects/Robot Arm', content: ROBOT_ARM, message: 'first notes' });
    await deps.pages.write(notes.id, CAROL_DID, { path: 'Parts', content: 'Servos, brackets.' });
    const diary = await deps.wikis.create({ slug: 'diary', ownerDid: CAROL_DID, displayName: 'Carol’s diary' }, deps.now());

    // The collaborator: Mallory, who may edit the notes and is no member of the diary.
    await deps.users.create({ did: MALLORY_DID, username: 'mallory', handle: 'mallory.test' }, deps.now());
    await deps.wikis.setMember({ wikiId: notes.id, did: MALLORY_DID, handle: 'mallory.test', role: 'write' }, deps.now());
    const mallory = new TestClient(platform.platform.app, base);
    mallory.cookies.set('platform_token', (await deps.sessions.mint({ did: MALLORY_DID, handle: 'mallory.test', username: 'mallory' }, deps.now())).token);

    // A connected app on Carol's dashboard, and a second client whose consent page is walked.
    const backChannel = () => new TestClient(platform.platform.app, base);
    const client = (issuer: string, browserClient: TestClient, name: string) =>
      new OAuthTestClient({ issuer, browser: browserClient, backChannel, redirectUri: REDIRECT, metadata: { client_name: name, grant_types: undefined } });
    const connected = client('/w/notes', carol, 'Connected App');
    const approved = await connected.consent(await connected.authorize((await connected.registerClient()).clientId), 'approve', carol);
    assert.equal(approved.status, 303, 'the connected app was approved');
    const walking = client('/w/notes', carol, 'Walk App');
    const consentUrl = `${base}${walking.authorizeUrl((await walking.registerClient()).clientId)}`;
    const denied = client('/w/diary', mallory, 'Walk App');
    const deniedUrl = `${base}${denied.authorizeUrl((await denied.registerClient()).clientId)}`;
    walk = { base, consentUrl, deniedUrl };
    assert.ok(diary.id);

    // A CLI login waiting for Carol's confirmation, and a newcomer half-way through signing up.
    await authClient(platform.url).initiateLogin({ identifier: 'carol.test', secretHash: newSecret().secretHash, clientName: 'robot CLI' });
    const cliBrowser = new TestClient(platform.platform.app, base);
    assert.equal((await browserSignsIn(cliBrowser, fake)).headers.get('location'), '/auth/cli/confirm');
    const newcomer = new TestClient(platform.platform.app, base);
    assert.equal((await loginThroughFake(newcomer, fake, 'victim.test')).headers.get('location'), '/auth/signup');

    browser = await launchBrowser();
    const cookie = (name: string, from: TestClient) => ({
      name,
      value: from.cookies.get(name)!,
      url: base,
      secure: true,
      httpOnly: true,
      sameSite: 'Lax' as const,
    });
    contexts.owner = await browser.newContext();
    await contexts.owner.addCookies([cookie('platform_token', carol), cookie('cli_confirm', cliBrowser)]);
    contexts.collaborator = await browser.newContext();
    await contexts.collaborator.addCookies([cookie('platform_token', mallory)]);
    contexts.anonymous = await browser.newContext();
    await contexts.anonymous.addCookies([cookie('signup_token', newcomer)]);
  });
  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  for (const viewer of EVERYONE) {
    test(`as ${viewer}: no sideways scrolling, no serious axe violation, touch targets of 44 px`, async () => {
      const page = await contexts[viewer].newPage();
      const problems: Array<PageProblem & { page: string }> = [];
      for (const entry of EVERY_PAGE.filter((candidate) => candidate.viewers.includes(viewer))) {
        await page.setViewportSize({ width: 1280, height: 800 });
        await entry.open(page, walk);
        const heading = (await page.locator('h1').first().innerText()).trim();
        assert.match(heading, entry.heading, `${entry.name} as ${viewer} reached "${heading}" at ${page.url()}`);
        for (const problem of await checkPageAtWidths(page, `${SCREENSHOTS}/${viewer}-${entry.name}`)) problems.push({ page: entry.name, ...problem });
      }
      await page.close();
      assert.deepEqual(problems, []);
    });
  }

  test('copy buttons put the token and the command on the clipboard; a confirmation is said once, not again on reload', async () => {
    await contexts.owner.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: walk.base });
    const page = await contexts.owner.newPage();
    await page.goto(`${walk.base}/app/wikis/notes`);
    await page.fill('#token_name', 'clipboard');
    await page.getByRole('button', { name: 'Make a token' }).click();
    const token = (await page.locator('#new-token').innerText()).trim();
    assert.match(token, /^rwt_/);
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
    await page.getByRole('button', { name: 'Copy token' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await clipboard(), token);
    await page.locator('button[data-copy="new-token-command"]').click();
    assert.equal(await clipboard(), `claude mcp add --transport http notes ${walk.base}/w/notes/mcp --header "Authorization: Bearer ${token}"`);

    await page.goto(`${walk.base}/app/wikis/notes?done=access-saved`);
    assert.equal(await page.getByRole('status').innerText(), 'Access saved.');
    assert.equal(new URL(page.url()).search, '', 'the confirmation leaves the address');
    await page.reload();
    assert.equal(await page.getByRole('status').count(), 0, 'and is not said again');
    await page.close();
  });
});
