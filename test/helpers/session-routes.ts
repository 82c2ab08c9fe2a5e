// Every route that reads the `platform_token` session cookie, asked as one browser (its cookie jar
// holds the cookie under test): what a credential unlocks when a browser presents it (catalogue CL-09).
import assert from 'node:assert/strict';
import type { TestClient } from './http-client.ts';
import { OAuthTestClient } from './oauth-client.ts';

export interface RouteAnswer {
  route: string;
  status: number;
  location: string | null;
  body: string;
}

/** What the victim's data looks like on a page: if any of these shows up, the cookie worked. */
export interface PersonMarkers {
  did: string;
  handle: string;
  username: string;
  wikiName: string;
}

const REDIRECT_URI = 'https://app.example/callback';

/**
 * The session routes, in an order that leaves the cookie in place until the end: the dashboard, a
 * wiki's settings and web view, /auth/me, signup, the consent page at the wiki's issuer, the CLI
 * confirmation page, and last logout.
 */
export async function askSessionRoutes(client: TestClient, slug: string): Promise<RouteAnswer[]> {
  // A public client registered at the wiki (RFC 7591), so its consent page can be asked for.
  const oauth = new OAuthTestClient({
    issuer: `/w/${slug}`,
    browser: client,
    backChannel: () => client,
    redirectUri: REDIRECT_URI,
    metadata: { client_name: 'Probe', grant_types: undefined },
  });
  const registration = await oauth.register();
  assert.equal(registration.status, 201, 'client registration');
  const authorize = oauth.authorizeUrl(((await registration.json()) as { client_id: string }).client_id);
  const requests: Array<[string, () => Promise<Response>]> = [
    ['dashboard', () => client.request('/app/')],
    ['wiki settings', () => client.request(`/app/wikis/${slug}`)],
    ['wiki web view', () => client.request(`/w/${slug}`)],
    ['/auth/me', () => client.request('/auth/me')],
    ['signup', () => client.request('/auth/signup')],
    ['consent at the wiki issuer', () => client.request(authorize)],
    ['CLI confirmation page', () => client.request('/auth/cli/confirm')],
    ['logout', () => client.form('/auth/logout', {})],
  ];
  const answers: RouteAnswer[] = [];
  for (const [route, send] of requests) {
    const response = await send();
    answers.push({
      route,
      status: response.status,
      location: response.headers.get('location'),
      body: await response.text(),
    });
  }
  return answers;
}

/** Each answer is what an anonymous visitor gets: 401, a redirect to log in, an error page, or logged out. */
export function assertAnonymous(answers: RouteAnswer[], person: PersonMarkers): void {
  for (const { route, status, location, body } of answers) {
    for (const marker of Object.values(person)) assert.ok(!body.includes(marker), `${route}: shows ${marker}`);
    const toLogin = (status === 302 || status === 303) && new URL(location!, 'http://x').pathname === '/auth/login';
    const refused = status === 401 || status === 400 || status === 404;
    const loggedOut = route === 'logout' && status === 200 && body.includes('You are logged out');
    assert.ok(toLogin || refused || loggedOut, `${route}: ${status} ${location ?? ''} is not an anonymous answer`);
  }
}

/** The control: with the person's own session the same routes show their data. */
export function assertSignedIn(answers: RouteAnswer[], person: PersonMarkers): void {
  const shows: Record<string, string> = {
    dashboard: person.username,
    'wiki settings': person.wikiName,
    'wiki web view': person.wikiName,
    '/auth/me': person.did,
    'consent at the wiki issuer': person.wikiName,
  };
  for (const [route, marker] of Object.entries(shows)) {
    const { status, body } = answers.find((a) => a.route === route)!;
    assert.equal(status, 200, route);
    assert.ok(body.includes(marker), `${route} shows ${marker}`);
  }
  assert.equal(answers.find((a) => a.route === 'signup')!.location, '/app/', 'signup sends a signed-in person home');
}
