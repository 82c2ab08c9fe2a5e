// Attachments in Chromium from the wiki's own origin: an upload through the page's form, an image
// shown inline from the page's Markdown, and hostile uploads (HTML and SVG with scripts, and an HTML
// payload behind PNG magic bytes) that run nothing when opened. A script that ran would retitle its
// document and call a loopback listener; neither may happen. Screenshots at 360 and 1280 px.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/http/cookies.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { CAROL_DID } from '../helpers/fake-atproto.ts';
import { accessTokenFor, connectMcp } from '../helpers/mcp.ts';
import { solidPng } from '../helpers/png.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

const SCREENSHOTS = 'test-results/screenshots';

describe('attachments in Chromium', () => {
  let fixture: WikiFixture;
  let browser: Browser;
  let context: BrowserContext;
  let listener: Server;
  const beacons: string[] = [];
  let beaconUrl = '';
  const pageUrl = () => `${fixture.issuer}/pages/Projects/Robot%20Arm`;
  const fileUrl = (name: string) => `${fixture.issuer}/attachments/Projects/Robot%20Arm/${encodeURIComponent(name)}`;

  before(async () => {
    listener = createServer((request, response) => {
      beacons.push(request.url ?? '');
      response.end();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    beaconUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    fixture = await startWikiFixture();
    const wiki = (await fixture.platform.platform.deps.wikis.findBySlug('notes'))!;
    const mcp = await connectMcp(
      fixture.platform.platform.app,
      `${fixture.issuer}/mcp`,
      (await accessTokenFor(fixture.platform.platform, wiki, CAROL_DID)).token,
    );
    await mcp.json('write_note', {
      path: 'Projects/Robot Arm',
      content: '# Robot arm\n\nThe wiring, as drawn on the bench:\n\n![The wiring](diagram.png)\n\nServo torque notes follow.',
    });
    await mcp.close();
    browser = await launchBrowser();
    context = await browser.newContext({ acceptDownloads: true });
    await context.addCookies([{ name: SESSION_COOKIE, value: fixture.carol.cookies.get(SESSION_COOKIE)!, url: fixture.platform.config.publicUrl }]);
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await fixture?.close();
    await new Promise((resolve) => listener?.close(resolve));
  });

  async function uploadThroughForm(page: Page, name: string, buffer: Buffer, mimeType: string): Promise<void> {
    await page.goto(pageUrl());
    await page.setInputFiles('#attachment-file', { name, mimeType, buffer });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Uploaded ${name}` })
      .waitFor();
  }

  test('a file uploaded through the page is listed and ![](diagram.png) shows it inline', async () => {
    const page = await context.newPage();
    await uploadThroughForm(page, 'diagram.png', solidPng(480, 160, [30, 110, 200]), 'image/png');
    await uploadThroughForm(page, 'torque-measurements-for-the-shoulder-servo.csv', Buffer.from('angle,torque\n0,1.2\n'), 'text/csv');
    const width = await page.getByRole('img', { name: 'The wiring' }).evaluate((image: HTMLImageElement) => image.naturalWidth);
    assert.equal(width, 480, 'the attachment loaded as the page image');
    assert.ok(await page.getByRole('link', { name: 'torque-measurements-for-the-shoulder-servo.csv' }).isVisible());
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `no sideways scrolling at ${width} px`);
      await page.screenshot({ path: `${SCREENSHOTS}/attachments-${width}.png`, fullPage: true });
    }
    await page.close();
  });

  test('AF-01: uploaded HTML and SVG with scripts, opened from the wiki origin, run nothing', async () => {
    // Requirement: an uploaded file can never script the wiki's origin (HTML and SVG are downloads, sandboxed, nosniff).
    const payload = (label: string) =>
      `document.title = "ran"; fetch("${beaconUrl}/${label}-fetch"); new Image().src = "${beaconUrl}/${label}-image"; window.opener && (window.opener.ran = true);`;
    const files = {
      'evil.html': Buffer.from(`<!doctype html><title>file</title><script>${payload('html')}</script><img src=x onerror='${payload('html-onerror')}'>`),
      'evil.svg': Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload='${payload('svg-onload')}'><script>${payload('svg')}</script></svg>`),
      // Sniffed as PNG, so served inline as an image: the HTML after the image data must stay inert.
      'polyglot.png': Buffer.concat([solidPng(2, 2, [0, 0, 0]), Buffer.from(`<html><script>${payload('polyglot')}</script></html>`)]),
    };
    const page = await context.newPage();
    for (const [name, buffer] of Object.entries(files)) await uploadThroughForm(page, name, buffer, name.endsWith('svg') ? 'image/svg+xml' : 'text/html');

    for (const name of ['evil.html', 'evil.svg']) {
      const opened = await context.newPage();
      const download = opened.waitForEvent('download', { timeout: 5000 }).then(
        (started) => started.suggestedFilename(),
        () => undefined,
      );
      await opened.goto(fileUrl(name)).catch(() => undefined); // a download aborts the navigation
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.notEqual(await opened.title(), 'ran', `${name} ran a script`);
      assert.deepEqual(beacons, [], `${name} reached the loopback listener`);
      assert.equal(await download, name, `${name} is offered as a download, not rendered`);
      await opened.close();
    }
    const image = await context.newPage();
    const response = await image.goto(fileUrl('polyglot.png'));
    assert.equal(response?.headers()['content-type'], 'image/png');
    // Shown as an image under the sandbox policy, not parsed as the HTML that follows the image data.
    assert.equal(await image.evaluate(() => document.querySelector('img')?.naturalWidth), 2);
    assert.notEqual(await image.title(), 'ran');
    // A script opened from the wiki page would have reached its opener; give any beacon time to arrive.
    await page.evaluate((url) => window.open(url, '_blank'), fileUrl('evil.html'));
    await new Promise((resolve) => setTimeout(resolve, 750));
    assert.equal(await page.evaluate(() => (window as unknown as { ran?: boolean }).ran), undefined);
    assert.notEqual(await image.title(), 'ran');
    assert.deepEqual(beacons, [], 'no uploaded script reached the loopback listener');
    await image.close();
    await page.close();
  });
});
