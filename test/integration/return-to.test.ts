// RU-05 through the real routes: every place `return_to` is honoured (the login page of someone
// already signed in, the login callback, the end of signup) answers a Location that a browser,
// resolving it against the request URL, follows to the platform or a wiki origin — nowhere else.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { TestClient } from '../helpers/http-client.ts';
import { redirectTricks, seeded } from '../helpers/property.ts';
import { startWikiFixture, type WikiFixture } from '../helpers/wiki-fixture.ts';

/** The normalisation tricks of the report, and their relatives. */
const DOT_SEGMENT_TRICKS = [
  '/.//evil.example',
  '/a/..//evil.example',
  '/%2e//evil.example',
  '/%2E%2e//evil.example',
  '/./\\evil.example',
  '/a/b/../..//evil.example',
];

for (const mode of ['path', 'host'] as const) {
  describe(`RU-05: return_to on the real routes (${mode} mode)`, () => {
    let fixture: WikiFixture;
    let publicUrl: string;
    const env: Record<string, string> = mode === 'host' ? { PUBLIC_URL: 'https://robot.example', WIKI_DOMAIN: 'robot.example' } : {};

    before(async () => {
      fixture = await startWikiFixture(env);
      publicUrl = fixture.platform.config.publicUrl;
    });
    after(() => fixture?.close());

    /** The origin a browser lands on after following this response's Location from `requestUrl`. */
    const landsOn = (response: Response, requestUrl: string) => new URL(response.headers.get('location')!, requestUrl).origin;
    const allowed = (origin: string) => origin === publicUrl || (mode === 'host' && /^https:\/\/[a-z0-9-]+\.robot\.example$/.test(origin));
    const loginUrl = (returnTo: string) => `/auth/login?${new URLSearchParams({ return_to: returnTo })}`;

    test('RU-05: signed in, GET /auth/login sends dot-segment tricks to /app/, never to //evil.example', async () => {
      for (const evil of DOT_SEGMENT_TRICKS) {
        const response = await fixture.carol.request(loginUrl(evil));
        assert.equal(response.status, 303, evil);
        assert.equal(response.headers.get('location'), '/app/', evil);
      }
      const honoured = await fixture.carol.request(loginUrl('/w/notes/../../app/?x=1'));
      assert.equal(honoured.headers.get('location'), '/app/?x=1');
    });

    test('RU-05: the login callback and the end of signup redirect only to the normalised, checked value', async () => {
      for (const evil of DOT_SEGMENT_TRICKS.slice(0, 3)) {
        const browser = new TestClient(fixture.platform.platform.app, publicUrl);
        await browser.form('/auth/login', { handle: 'carol.test', return_to: evil });
        const state = fixture.fake.requestsTo('/oauth/par').at(-1)!.form.state!;
        const back = await browser.request(`/auth/callback?${new URLSearchParams({ code: 'c', state, iss: fixture.fake.url })}`);
        assert.equal(back.headers.get('location'), '/app/', evil);
      }
      // A first-time user: the value is stored with the pending signup and used after it.
      const newcomer = new TestClient(fixture.platform.platform.app, publicUrl);
      await newcomer.form('/auth/login', { handle: 'mallory.test', return_to: '/.//evil.example' });
      const state = fixture.fake.requestsTo('/oauth/par').at(-1)!.form.state!;
      const back = await newcomer.request(`/auth/callback?${new URLSearchParams({ code: 'm', state, iss: fixture.fake.url })}`);
      assert.equal(back.headers.get('location'), '/auth/signup');
      const csrf = /name="csrf" value="([^"]+)"/.exec(await (await newcomer.request('/auth/signup')).text())![1]!;
      const signedUp = await newcomer.form('/auth/signup', { username: `mallory${mode}`, csrf });
      assert.equal(signedUp.status, 303);
      assert.equal(signedUp.headers.get('location'), '/app/');
    });

    test('RU-05: for any return_to, the signed-in redirect stays on an allowed origin (property)', async (t) => {
      const input = fc.oneof(
        { weight: 3, arbitrary: redirectTricks(['evil.example', 'notes.robot.example', 'x']) },
        fc.string({ unit: 'grapheme', maxLength: 30 }),
        fc.webUrl(),
      );
      await fc.assert(
        fc.asyncProperty(input, async (value) => {
          const requestUrl = `${publicUrl}${loginUrl(value)}`;
          const response = await fixture.carol.request(requestUrl);
          // Controls in the query are refused at the edge (IN-06): no redirect at all is safe too.
          if (response.status === 400) return /[\u0000-\u001f\u007f]/.test(value);
          return response.status === 303 && allowed(landsOn(response, requestUrl));
        }),
        seeded(t, { runs: 1000 }),
      );
    });
  });
}
