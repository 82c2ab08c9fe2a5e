// An OAuth client of one wiki's issuer, step by step, the way an MCP client drives it: registration
// (RFC 7591), an authorization request with PKCE (RFC 7636), the person's consent in their browser,
// the code exchange, refresh and revocation (RFC 6749 §4.1, §6; RFC 7009). Each step returns the raw
// Response, so a test still asserts on every status and header; a test probing a malformed step
// builds that step itself (or overrides its parameters here) rather than trusting this helper.
import { TestClient } from './http-client.ts';
import type { WikiFixture } from './wiki-fixture.ts';
import { formField } from './html.ts';

/** RFC 7636 Appendix B: a verifier and its S256 challenge. */
export const PKCE = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' } as const;

/** A value of `undefined` leaves the parameter out. */
export type QueryParameters = Record<string, string | undefined>;

export interface OAuthTestClientOptions {
  /** The wiki's issuer: its URL, or its path on the platform (`/w/notes`). */
  issuer: string;
  /** The person's browser: it visits the authorization and consent pages with its cookies. */
  browser: TestClient;
  /** The client's own connection for registration, token and revocation requests (no cookies). */
  backChannel: () => TestClient;
  redirectUri: string;
  /** Registration metadata replacing the defaults (an app named "App", public, code and refresh grants). */
  metadata?: Record<string, unknown>;
  /** Authorization parameters replacing the defaults (state `s`). */
  authorizeParams?: QueryParameters;
}

export class OAuthTestClient {
  constructor(readonly options: OAuthTestClientOptions) {}

  /** POST /oauth/register with the default metadata and `metadata` over it (`undefined` drops a member). */
  register(metadata: Record<string, unknown> = {}): Promise<Response> {
    const body = {
      client_name: 'App',
      redirect_uris: [this.options.redirectUri],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      ...this.options.metadata,
      ...metadata,
    };
    return this.options.backChannel().request(`${this.options.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** Registers and returns the client's credentials; `secret` only for confidential clients. */
  async registerClient(metadata: Record<string, unknown> = {}): Promise<{ clientId: string; secret?: string }> {
    const body = await (await this.register(metadata)).json();
    return { clientId: body.client_id, secret: body.client_secret };
  }

  /** The authorization request's address: code flow, PKCE S256, the default state, and `params` over them. */
  authorizeUrl(clientId: string, params: QueryParameters = {}): string {
    const all: QueryParameters = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: this.options.redirectUri,
      code_challenge: PKCE.challenge,
      code_challenge_method: 'S256',
      state: 's',
      ...this.options.authorizeParams,
      ...params,
    };
    const present = Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined);
    return `${this.options.issuer}/oauth/authorize?${new URLSearchParams(present)}`;
  }

  /** The browser opens the authorization request: a consent page (200), or a redirect. */
  authorize(clientId: string, params: QueryParameters = {}, browser = this.options.browser): Promise<Response> {
    return browser.request(this.authorizeUrl(clientId, params));
  }

  /** The hidden fields of a consent page (the response, or its HTML once read), and the person's `decision`. */
  async consentForm(page: Response | string, decision = 'approve'): Promise<Record<string, string>> {
    const html = typeof page === 'string' ? page : await page.text();
    return { request_id: formField(html, '/oauth/consent', 'request_id')!, csrf: formField(html, '/oauth/consent', 'csrf')!, decision };
  }

  /** The browser submits the consent page it is shown. */
  async consent(page: Response | string, decision = 'approve', browser = this.options.browser, headers: Record<string, string> = {}): Promise<Response> {
    return browser.form(`${this.options.issuer}/oauth/consent`, await this.consentForm(page, decision), headers);
  }

  /** A fresh authorization code: the request, then approval when a consent page is shown. */
  async code(clientId: string, params: QueryParameters = {}): Promise<string> {
    let response = await this.authorize(clientId, params);
    if (response.status === 200) response = await this.consent(response);
    return codeIn(response);
  }

  /** POST /oauth/token with exactly `form`. */
  token(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.post('token', form, headers);
  }

  /** The authorization_code grant for a public client, with the PKCE verifier; `extra` adds or replaces fields. */
  redeem(clientId: string, code: string, extra: Record<string, string> = {}): Promise<Response> {
    return this.token({ grant_type: 'authorization_code', code, code_verifier: PKCE.verifier, client_id: clientId, ...extra });
  }

  /** The refresh_token grant (RFC 6749 §6). */
  refresh(clientId: string, refreshToken: string, extra: Record<string, string> = {}): Promise<Response> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, ...extra });
  }

  /** RFC 7009 revocation. */
  revoke(clientId: string, token: string, extra: Record<string, string> = {}): Promise<Response> {
    return this.post('revoke', { token, client_id: clientId, ...extra });
  }

  private post(endpoint: 'token' | 'revoke', form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.options.backChannel().request(`${this.options.issuer}/oauth/${endpoint}`, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }
}

/** The code in the redirect an approval answers with. */
export const codeIn = (response: Response): string => new URL(response.headers.get('location')!).searchParams.get('code')!;

/** The client of the fixture's `notes` wiki, with carol as the person and the app in process. */
export function notesClient(fixture: WikiFixture, redirectUri: string, options: Partial<OAuthTestClientOptions> = {}): OAuthTestClient {
  const { platform } = fixture.platform;
  const publicUrl = fixture.platform.config.publicUrl;
  return new OAuthTestClient({
    issuer: fixture.issuer,
    browser: fixture.carol,
    backChannel: () => new TestClient(platform.app, publicUrl),
    redirectUri,
    ...options,
  });
}
