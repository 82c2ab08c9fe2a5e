// The wiki in the browser with real counterparts (Chromium, the platform over HTTP, SQLite): Carol
// owns `notes` and edits it; Mallory is a read collaborator. Both are signed in through the fake
// atproto server, and their session cookies are handed to Chromium.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { CAROL_DID, MALLORY_DID } from '../helpers/fake-atproto.ts';
import { TestClient } from '../helpers/http-client.ts';
import { signUp } from '../helpers/login-flow.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const SCREENSHOTS = 'test-results/screenshots';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('the wiki in the browser: edit, preview, conflicts, history, search, access', () => {
  let fixture: WikiFixture;
  let browser: Browser;
  let mallory: TestClient;
  const contexts: BrowserContext[] = [];
  const base = () => fixture.issuer;

  /** A browser context signed in as the TestClient's account. */
  async function signedIn(client: TestClient, options: { javaScriptEnabled?: boolean; width?: number } = {}): Promise<BrowserContext> {
    const context = await browser.newContext({
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      viewport: { width: options.width ?? 1280, height: 800 },
    });
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    await context.addCookies(
      [...client.cookies].map(([name, value]) => ({ name, value, domain: '127.0.0.1', path: '/', secure: true, httpOnly: true, sameSite: 'Lax' as const })),
    );
    return context;
  }

  /** Types into the CodeMirror editor, replacing its text. */
  async function replaceEditorText(page: Page, text: string): Promise<void> {
    await page.locator('.cm-content').click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  }

  const status = (page: Page) => page.getByRole('status').first().innerText();

  /** Robot Arm is still as the restore left it. */
  async function assertUnchanged(): Promise<void> {
    const { pages, wikis } = fixture.platform.platform.deps;
    const current = await pages.read((await wikis.findBySlug('notes'))!.id, 'Robot Arm');
    assert.equal(current.revision, 4);
    assert.match(current.content, /Gearing is 1:50/);
  }

  before(async () => {
    fixture = await startWikiFixture();
    browser = await launchBrowser();
    mallory = new TestClient(fixture.platform.platform.app, fixture.platform.config.publicUrl);
    await signUp(mallory, fixture.fake, 'mallory', 'mallory.test');
    const { wikis, pages } = fixture.platform.platform.deps;
    const notes = (await wikis.findBySlug('notes'))!;
    await wikis.setMember({ wikiId: notes.id, did: MALLORY_DID, handle: 'mallory.test', role: 'read' }, 1);
    await pages.write(notes.id, CAROL_DID, { path: 'Servo Notes', content: '# Servo notes\n\nTorque figures.' });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await fixture?.close();
  });

  test('a wiki created on the dashboard starts with a Home page, its root, and a page on connecting an assistant', async () => {
    const dashboard = await (await fixture.carol.request('/app/')).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(dashboard)![1]!;
    assert.equal((await fixture.carol.form('/app/wikis', { slug: 'garden', display_name: 'Carol’s garden', csrf })).status, 303);
    const page = await (await signedIn(fixture.carol)).newPage();
    await page.goto(`${fixture.platform.config.publicUrl}/w/garden`);
    await page.getByRole('heading', { name: 'Carol’s garden' }).waitFor();
    await page.locator('.wiki-page').getByRole('link', { name: 'Connect your assistant' }).click();
    await page.getByText(`claude mcp add --transport http garden ${fixture.platform.config.publicUrl}/w/garden/mcp`).waitFor();
    assert.match(await page.locator('.page-meta').innerText(), /by @carol\.test/);
  });

  test('edit → live preview with [[ autocomplete and red links → save → view → history diff → restore', async () => {
    const page = await (await signedIn(fixture.carol)).newPage();
    await page.goto(`${base()}/edit/Robot Arm`);
    await page.locator('.cm-content').waitFor();
    await replaceEditorText(page, '# Robot arm\n\nGearing is 1:50. Parts: [[Parts list]]. See ');
    await page.keyboard.type('[[Serv');
    await page.locator('.cm-tooltip-autocomplete').getByText('Servo Notes').waitFor();
    // CodeMirror ignores Enter for 75 ms after the list opens (interactionDelay), so a key meant as a
    // line break is not taken as a choice.
    await page.waitForTimeout(150);
    await page.keyboard.press('Enter');
    await page.locator('#preview').getByRole('heading', { name: 'Robot arm' }).waitFor();
    await page.locator('#preview a.missing-page', { hasText: 'Parts list' }).waitFor();
    await page.locator('#preview a:not(.missing-page)', { hasText: 'Servo Notes' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-editor-1280.png`, fullPage: true });
    await page.getByRole('button', { name: 'Create page' }).click();
    await page.waitForURL(/\/pages\/Robot%20Arm\?notice=created/);
    assert.equal(await status(page), 'Created the page (revision 1).');
    assert.match(await page.locator('.wiki-page').innerText(), /Gearing is 1:50\. Parts: Parts list/);

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.locator('.cm-content').waitFor();
    await replaceEditorText(page, '# Robot arm\n\nGearing is 1:100. Parts: [[Parts list]].');
    await page.fill('#message', 'stronger gearing');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/notice=saved/);
    assert.equal(await status(page), 'Saved revision 2.');

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('button', { name: 'Compare revisions' }).click();
    const diff = page.locator('figure.diff');
    assert.match((await diff.locator('pre del').first().innerText()).trim(), /^- Gearing is 1:50\. Parts: \[\[Parts list\]\]\. See \[\[Servo Notes\]\]$/);
    assert.match((await diff.locator('pre ins').last().innerText()).trim(), /^\+ Gearing is 1:100\. Parts: \[\[Parts list\]\]\.$/);
    assert.match(await page.locator('.changes').innerText(), /stronger gearing/);
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-history-diff-1280.png`, fullPage: true });

    await page.getByRole('link', { name: 'Revision 1' }).click();
    await page.getByRole('button', { name: 'Restore this version' }).click();
    await page.waitForURL(/notice=restored/);
    assert.equal(await status(page), 'Restored revision 1 as the new revision 3.');
    assert.match(await page.locator('.wiki-page').innerText(), /Gearing is 1:50/);
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-page-1280.png`, fullPage: true });
  });

  test('an unsaved draft survives a reload and can be discarded', async () => {
    const page = await (await signedIn(fixture.carol)).newPage();
    await page.goto(`${base()}/edit/Servo Notes`);
    await page.locator('.cm-content').waitFor();
    await replaceEditorText(page, '# Servo notes\n\nDraft about stall torque.');
    await page.reload();
    await page.locator('#draft-notice').getByText('Restored your unsaved draft').waitFor();
    assert.match(await page.locator('.cm-content').innerText(), /Draft about stall torque/);
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-draft-restored-1280.png` });
    await page.setViewportSize({ width: 360, height: 800 });
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-draft-restored-360.png` });
    await page.getByRole('button', { name: 'Discard draft' }).click();
    assert.match(await page.locator('.cm-content').innerText(), /Torque figures\./);
  });

  test('two browsers edit one page: the second sees the conflict, both versions and the difference, and loses nothing', async () => {
    const first = await (await signedIn(fixture.carol)).newPage();
    const second = await (await signedIn(fixture.carol)).newPage();
    for (const page of [first, second]) {
      await page.goto(`${base()}/edit/Servo Notes`);
      await page.locator('.cm-content').waitFor();
    }
    await replaceEditorText(first, '# Servo notes\n\nTorque figures from the first browser.');
    await first.getByRole('button', { name: 'Save' }).click();
    await first.waitForURL(/notice=saved/);
    await replaceEditorText(second, '# Servo notes\n\nTorque figures from the second browser.');
    await second.getByRole('button', { name: 'Save' }).click();
    await second.getByRole('heading', { name: /saved revision 2 while you were editing\. Nothing was saved\./ }).waitFor();
    assert.match(await second.locator('figure.diff pre del').innerText(), /first browser/);
    assert.match(await second.locator('figure.diff pre ins').innerText(), /second browser/);
    assert.match(await second.locator('.cm-content').innerText(), /second browser/, 'the second text is still in the editor');
    await second.screenshot({ path: `${SCREENSHOTS}/wiki-conflict-1280.png`, fullPage: true });
    await second.setViewportSize({ width: 360, height: 800 });
    assert.ok((await second.evaluate(() => document.documentElement.scrollWidth)) <= 360, 'the conflict page fits a phone');
    await second.screenshot({ path: `${SCREENSHOTS}/wiki-conflict-360.png`, fullPage: true });
    await second.getByRole('button', { name: 'Save my version' }).click();
    await second.waitForURL(/notice=saved/);
    assert.equal(await status(second), 'Saved revision 3.');
    assert.match(await second.locator('.wiki-page').innerText(), /second browser/);
  });

  test('a red link leads to a 404 that offers to create the page, and creating it turns the link blue', async () => {
    const page = await (await signedIn(fixture.carol)).newPage();
    const response = await page.goto(`${base()}/pages/Robot Arm`);
    assert.equal(response?.status(), 200);
    const red = page.locator('.wiki-page a.missing-page', { hasText: 'Parts list' });
    await red.click();
    await page.getByText('There is no page “Parts list” in this wiki yet.').waitFor();
    await page.getByRole('button', { name: 'Create this page', exact: true }).click();
    await page.locator('.cm-content').waitFor();
    await replaceEditorText(page, '# Parts list\n\nServos, brackets.');
    await page.getByRole('button', { name: 'Create page' }).click();
    await page.waitForURL(/notice=created/);
    await page.goto(`${base()}/pages/Robot Arm`);
    assert.equal(await page.locator('.wiki-page a.missing-page').count(), 0);
    await page.locator('.backlinks').getByText('No page links here yet.').waitFor();
    await page.goto(`${base()}/pages/Parts list`);
    await page.locator('.backlinks').getByRole('link', { name: 'Robot Arm' }).waitFor();
  });

  test('rename moves the page and says so; delete asks first and recent changes mark both', async () => {
    const page = await (await signedIn(fixture.carol)).newPage();
    await page.goto(`${base()}/pages/Parts list`);
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.fill('#new_path', 'Hardware/Parts');
    await page.getByRole('button', { name: 'Rename page' }).click();
    await page.waitForURL(/\/pages\/Hardware\/Parts\?notice=renamed/);
    // Robot Arm linked to it: its [[Parts list]] now reads [[Hardware/Parts]], as its revision 4.
    assert.match(await status(page), /^Renamed “Parts list” to this name \(revision 2\)\. Links updated in 1 page\./);
    await page.goto(`${base()}/pages/Parts list`);
    await page.locator('.wiki-article').getByRole('link', { name: 'Hardware/Parts' }).click();
    await page.waitForURL(/\/pages\/Hardware\/Parts$/);
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.fill('#new_path', 'Bad|name');
    await page.getByRole('button', { name: 'Rename page' }).click();
    assert.match(await page.locator('#new-path-help').innerText(), /cannot contain/);

    await page.goto(`${base()}/pages/Hardware/Parts`);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete page' }).click();
    assert.match(await status(page), /^Deleted “Hardware\/Parts”\./);
    await page.goto(`${base()}/changes`);
    const changes = page.locator('.changes');
    await changes.locator('.badge.delete').first().waitFor();
    assert.match(await changes.innerText(), /renamed to “Hardware\/Parts”/);
    await changes.getByRole('link', { name: 'Hardware/Parts' }).first().click();
    await page.getByText('This page was deleted; this is its last text (revision 2).').waitFor();
    assert.equal((await page.goto(`${base()}/pages/Hardware/Parts`))?.status(), 404);
    await page.getByText(/^“Hardware\/Parts” was deleted/).waitFor();
    await page.locator('.wiki-article').getByRole('link', { name: 'history' }).click();
    await page.getByRole('heading', { name: 'History of Hardware/Parts' }).waitFor();
  });

  test('search highlights the matched words in a snippet', async () => {
    const page = await (await signedIn(fixture.carol)).newPage();
    await page.goto(`${base()}/pages/Robot Arm`);
    await page.getByLabel('Search this wiki').fill('gearing');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    // Ranked by words and by meaning together: the page that says it comes first, the word marked.
    await page.locator('.search-results').waitFor();
    assert.equal(await page.locator('.search-results li > a').first().innerText(), 'Robot Arm');
    assert.equal(await page.locator('.search-results mark').first().innerText(), 'Gearing');
    await page.screenshot({ path: `${SCREENSHOTS}/wiki-search-1280.png`, fullPage: true });
  });

  test('a read collaborator sees no edit controls, and her POSTs are refused', async () => {
    const page = await (await signedIn(mallory)).newPage();
    await page.goto(`${base()}/pages/Robot Arm`);
    await page.locator('.wiki-page').getByText('Gearing is 1:50').waitFor();
    // The header bar's log-out form is hers; nothing in the page may change it.
    assert.equal(await page.locator('main a[href*="/edit/"], main a[href*="/rename/"], main a[href*="/delete/"], main form[method=post]').count(), 0);
    await page.goto(`${base()}/pages/Robot Arm?revision=1`);
    assert.equal(await page.getByRole('button', { name: 'Restore this version' }).count(), 0);
    await page.goto(`${base()}/pages/Nothing here`);
    assert.equal(await page.getByRole('button', { name: 'Create this page', exact: true }).count(), 0);
    assert.equal((await page.goto(`${base()}/edit/Robot Arm`))?.status(), 403);

    // Her own session's form token (from her dashboard) does not make her a writer.
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await mallory.request('/app/')).text())![1]!;
    for (const [path, form] of [
      ['/w/notes/edit/Robot%20Arm', { content: 'vandalised', base_revision: '4' }],
      ['/w/notes/delete/Robot%20Arm', { base_revision: '4' }],
      ['/w/notes/rename/Robot%20Arm', { new_path: 'Gone' }],
      ['/w/notes/restore/Robot%20Arm', { revision: '2', base_revision: '4' }],
    ] as const) {
      assert.equal((await mallory.form(path, { csrf, ...form })).status, 403, path);
    }
    await assertUnchanged();
  });

  // CS-02: a cookie-authenticated POST needs this wiki's origin and the session's form token; SameSite is not counted.
  test('CS-02: a wiki POST from another origin, or without the session form token, is refused and writes nothing', async () => {
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await fixture.carol.request('/app/')).text())![1]!;
    const forged = { csrf, content: 'forged', base_revision: '4' };
    const crossOrigin = await fixture.carol.form('/w/notes/edit/Robot%20Arm', forged, { origin: 'http://evil.example' });
    assert.equal(crossOrigin.status, 403);
    const crossSite = await fixture.carol.form('/w/notes/edit/Robot%20Arm', forged, { origin: 'null', 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    const noToken = await fixture.carol.form('/w/notes/edit/Robot%20Arm', { content: 'forged', base_revision: '4' });
    assert.equal(noToken.status, 403);
    const preview = await fixture.carol.form('/w/notes/preview', { content: 'x' }, { origin: 'http://evil.example' });
    assert.equal(preview.status, 403);
    await assertUnchanged();
  });

  test('without JavaScript the plain form previews and saves', async () => {
    const page = await (await signedIn(fixture.carol, { javaScriptEnabled: false })).newPage();
    await page.goto(`${base()}/edit/Servo Notes`);
    const text = page.getByLabel('Page text (Markdown)');
    await text.fill('# Servo notes\n\nSaved without **script**.');
    await page.getByRole('button', { name: 'Preview' }).click();
    assert.equal(await page.locator('#preview strong').innerText(), 'script');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/notice=saved/);
    assert.equal(await status(page), 'Saved revision 4.');
  });

  test('every page fits 360 px and 1280 px without sideways scrolling and has no serious axe violation', async () => {
    const urls = {
      page: `${base()}/pages/Robot Arm`,
      editor: `${base()}/edit/Robot Arm`,
      'history-diff': `${base()}/history/Servo Notes?from=1&to=4`,
      search: `${base()}/search?q=gearing`,
      changes: `${base()}/changes`,
      missing: `${base()}/pages/Not yet`,
      rename: `${base()}/rename/Robot Arm`,
    };
    for (const width of [360, 1280]) {
      const page = await (await signedIn(fixture.carol, { width })).newPage();
      for (const [name, url] of Object.entries(urls)) {
        await page.goto(url);
        if (name === 'editor') await page.locator('.cm-content').waitFor();
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scrollWidth <= width, `${name} is ${scrollWidth} px wide at ${width} px`);
        // Evaluated through the debugger, as the page's CSP (rightly) refuses inline script.
        await page.evaluate(AXE);
        const violations: { id: string; impact: string; nodes: { target: string[] }[] }[] = await page.evaluate(async () => {
          const { axe } = window as unknown as { axe: { run(context: Document): Promise<{ violations: never[] }> } };
          const result = await axe.run(document);
          return result.violations;
        });
        const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(
          serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
          [],
          `${name} at ${width} px`,
        );
        if (width === 360) await page.screenshot({ path: `${SCREENSHOTS}/wiki-${name}-360.png`, fullPage: true });
      }
    }
  });
});
