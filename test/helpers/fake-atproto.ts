// A scriptable atproto network in one loopback server: XRPC handle resolver, PLC directory, PDS
// (protected-resource metadata) and authorization server. It exists for faults a real PDS will not
// produce (catalogue harness: "fake PLC, fake PDS and fake atproto AS with switchable malicious
// behaviours"); the happy path is tested against the real dev-env PDS.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { freePort } from './platform.ts';

export interface RecordedRequest {
  path: string;
  form: Record<string, string>;
  headers: Record<string, string>;
  /** The DPoP-Nonce the fake answered this request with. */
  answeredNonce?: string;
}

export interface FakeBehaviour {
  /** Merged into the token response (default `sub`: the DID the handle resolves to). */
  token?: Record<string, unknown>;
  /** Merged into the PDS's protected-resource metadata. */
  resource?: Record<string, unknown>;
  /** Overrides merged into the AS metadata document. */
  metadata?: Record<string, unknown>;
  /** The PLC directory answers DID look-ups with this status instead (e.g. 503). */
  plcStatus?: number;
  /** The PDS endpoint DID documents name (default: this server). */
  pdsUrl?: string;
  /** Per-DID fields merged into that DID's document (a lying `id`, another PDS, no services…). */
  didDocuments?: Record<string, Record<string, unknown>>;
  /** Answer the protected-resource metadata with a redirect to a valid copy of itself. */
  redirectResourceMetadata?: boolean;
  /** Extra handle → DID answers of the handle resolver, which the DID documents do not confirm. */
  extraHandles?: Record<string, string>;
  /** Answer the first PAR with use_dpop_nonce (default true), or every PAR (a nonce loop). */
  nonceChallenge?: 'first' | 'always' | 'never';
}

export const CAROL_DID = 'did:plc:fakecarolaaaaaaaaaaaaaaa';
export const MALLORY_DID = 'did:plc:fakemalloryaaaaaaaaaaaaa';
export const VICTIM_DID = 'did:plc:fakevictimaaaaaaaaaaaaaa';

export class FakeAtproto {
  readonly requests: RecordedRequest[] = [];
  readonly revoked: string[] = [];
  behaviour: FakeBehaviour = {};
  private server!: ServerType;
  private parCount = 0;
  /** The nonce the PDS endpoint currently requires; each successful request rotates it (pds-1, pds-2, …). */
  private pdsNonceCount = 1;
  url = '';
  /** The same server under another origin, for a PDS that is not on the authorization server's origin. */
  pdsUrl = '';

  static async start(): Promise<FakeAtproto> {
    const fake = new FakeAtproto();
    const port = await freePort();
    // `localhost`, not an IP: the shape real atproto services have (and dev-env uses).
    fake.url = `http://localhost:${port}`;
    fake.pdsUrl = `http://127.0.0.1:${port}`;
    fake.server = serve({ fetch: fake.app().fetch, port, hostname: '127.0.0.1' });
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  metadata(): Record<string, unknown> {
    const base = this.url;
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      pushed_authorization_request_endpoint: `${base}/oauth/par`,
      require_pushed_authorization_requests: true,
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['atproto', 'transition:generic'],
      authorization_response_iss_parameter_supported: true,
      dpop_signing_alg_values_supported: ['ES256'],
      client_id_metadata_document_supported: true,
      protected_resources: [base],
      ...this.behaviour.metadata,
    };
  }

  private didDocument(did: string, handle: string) {
    const base = {
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: did,
      alsoKnownAs: [`at://${handle}`],
      verificationMethod: [],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: this.behaviour.pdsUrl ?? this.url }],
    };
    return { ...base, ...this.behaviour.didDocuments?.[did] };
  }

  private app(): Hono {
    const app = new Hono();
    const handles: Record<string, string> = { 'carol.test': CAROL_DID, 'mallory.test': MALLORY_DID, 'victim.test': VICTIM_DID };
    const record = async (c: { req: { path: string; header(): Record<string, string>; text(): Promise<string> } }) => {
      const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
      const entry: RecordedRequest = { path: c.req.path, form, headers: c.req.header() };
      this.requests.push(entry);
      return entry;
    };

    app.get('/xrpc/com.atproto.identity.resolveHandle', (c) => {
      const handle = c.req.query('handle') ?? '';
      const did = handles[handle] ?? this.behaviour.extraHandles?.[handle];
      return did ? c.json({ did }) : c.json({ error: 'InvalidRequest', message: 'Unable to resolve handle' }, 400);
    });
    // PLC directory: GET /{did}, the DID percent-encoded by the resolver.
    app.get('/:did', (c) => {
      const did = decodeURIComponent(c.req.param('did'));
      if (this.behaviour.plcStatus) return c.json({ message: 'unavailable' }, this.behaviour.plcStatus as 503);
      const handle = Object.keys(handles).find((h) => handles[h] === did);
      return handle ? c.json(this.didDocument(did, handle)) : c.json({ message: 'DID not registered' }, 404);
    });
    const resourceMetadata = () => ({ resource: this.url, authorization_servers: [this.url], ...this.behaviour.resource });
    app.get('/.well-known/oauth-protected-resource', (c) =>
      this.behaviour.redirectResourceMetadata ? c.redirect(`${this.url}/moved/oauth-protected-resource`, 302) : c.json(resourceMetadata()),
    );
    app.get('/moved/oauth-protected-resource', (c) => c.json(resourceMetadata()));
    app.get('/.well-known/oauth-authorization-server', (c) => c.json(this.metadata()));

    app.post('/oauth/par', async (c) => {
      const entry = await record(c);
      this.parCount += 1;
      const challenge = this.behaviour.nonceChallenge ?? 'first';
      entry.answeredNonce = `nonce-${this.parCount}`;
      if (challenge === 'always' || (challenge === 'first' && this.parCount === 1)) {
        return c.json({ error: 'use_dpop_nonce', error_description: 'nonce required' }, 400, { 'DPoP-Nonce': entry.answeredNonce });
      }
      return c.json({ request_uri: `urn:ietf:params:oauth:request_uri:req-${this.parCount}`, expires_in: 300 }, 201, { 'DPoP-Nonce': entry.answeredNonce });
    });

    app.post('/oauth/token', async (c) => {
      const entry = await record(c);
      const { form } = entry;
      entry.answeredNonce = 'nonce-token';
      const parForm = this.requestsTo('/oauth/par').at(-1)?.form ?? {};
      return c.json(
        {
          access_token: `fake-access-${form.code}`,
          refresh_token: `fake-refresh-${form.code}`,
          token_type: 'DPoP',
          expires_in: 3600,
          scope: 'atproto',
          sub: handles[parForm.login_hint ?? ''] ?? CAROL_DID,
          ...this.behaviour.token,
        },
        200,
        { 'DPoP-Nonce': 'nonce-token' },
      );
    });

    // A PDS resource (atproto spec, DPoP): requires its own nonce, sent with 401 use_dpop_nonce, and
    // rotates it on every success. Requests to either origin are recorded; the Host tells them apart.
    app.get('/xrpc/com.atproto.server.getSession', async (c) => {
      const entry = await record(c);
      const current = `pds-${this.pdsNonceCount}`;
      const nonce = entry.headers.dpop ? decodeJwt(entry.headers.dpop).nonce : undefined;
      if (nonce !== current) {
        entry.answeredNonce = current;
        const challenge = { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': current };
        return c.json({ error: 'use_dpop_nonce', message: 'nonce required' }, 401, challenge);
      }
      this.pdsNonceCount += 1;
      entry.answeredNonce = `pds-${this.pdsNonceCount}`;
      return c.json({ did: CAROL_DID, handle: 'carol.test' }, 200, { 'DPoP-Nonce': entry.answeredNonce });
    });

    app.post('/oauth/revoke', async (c) => {
      const entry = await record(c);
      if (entry.form.token) this.revoked.push(entry.form.token);
      entry.answeredNonce = 'nonce-revoke';
      return c.body(null, 200, { 'DPoP-Nonce': entry.answeredNonce });
    });
    return app;
  }
}

export function decodeJwtParts(token: string) {
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
}
