// The authorization endpoint's checks, one by one, and their order (src/authserver/authorize-checks.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLIENT_CHECKS,
  grantableScopes,
  knownClient,
  knownScopes,
  parametersOnce,
  pkceS256,
  registeredRedirectUri,
  REQUEST_CHECKS,
  resourceIsThisWiki,
  responseTypeCode,
  stateWithinLimit,
  type AuthorizeContext,
} from '../../src/authserver/authorize-checks.ts';
import { runChecks } from '../../src/authserver/checks.ts';
import { ClientMetadataError, type Client } from '../../src/authserver/clients.ts';
import { OAuthError } from '../../src/authserver/oauth-error.ts';
import type { Role } from '../../src/wiki/access.ts';

const MCP = 'https://notes.wiki.example/mcp';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const client: Client = { clientId: 'mcp_1', secretHash: null, redirectUris: ['https://app.example/cb'], clientName: 'App', grantTypes: ['authorization_code'] };

function context(query: Record<string, string> | string, options: { client?: Client | Error; role?: Role } = {}): AuthorizeContext {
  return {
    wiki: { id: 'w', slug: 'notes', owner_did: 'did:plc:owner', display_name: 'Notes', created_at: 0, anonymous_read: 0, description: '' },
    urls: { mcp: MCP } as AuthorizeContext['urls'],
    query: new URLSearchParams(query),
    resolveClient: async (clientId) => {
      if (options.client instanceof Error) throw options.client;
      return clientId === (options.client ?? client).clientId ? (options.client ?? client) : undefined;
    },
    roleOf: async () => options.role,
    did: 'did:plc:someone',
    client,
  };
}

const valid = { client_id: 'mcp_1', response_type: 'code', code_challenge: CHALLENGE, code_challenge_method: 'S256' };

/** Runs one check and returns the error code it refused with, or undefined. */
async function refusal(check: (c: AuthorizeContext) => unknown, ctx: AuthorizeContext): Promise<string | undefined> {
  try {
    await check(ctx);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof OAuthError, String(error));
    return error.error;
  }
}

describe('authorization request checks', () => {
  test('IN-03: a repeated parameter is refused, whichever it is', async () => {
    assert.equal(await refusal(parametersOnce, context('client_id=a&client_id=b')), 'invalid_request');
    assert.equal(await refusal(parametersOnce, context('scope=wiki:read&state=1&state=1')), 'invalid_request');
    assert.equal(await refusal(parametersOnce, context(valid)), undefined);
  });

  test('IN-01: state up to 4 KiB, not a byte more', async () => {
    assert.equal(await refusal(stateWithinLimit, context({ state: 'x'.repeat(4096) })), undefined);
    assert.equal(await refusal(stateWithinLimit, context({ state: 'x'.repeat(4097) })), 'invalid_request');
    assert.equal(await refusal(stateWithinLimit, context({ state: 'é'.repeat(2049) })), 'invalid_request', 'counted in bytes');
  });

  test('RU-02: an unknown client, no client_id, or a bad metadata document is refused', async () => {
    assert.equal(await refusal(knownClient, context({ client_id: 'mcp_2' })), 'invalid_request');
    assert.equal(await refusal(knownClient, context({})), 'invalid_request');
    const bad = context({ client_id: 'https://app.example/client.json' }, { client: new ClientMetadataError('the metadata document is not JSON') });
    await assert.rejects(Promise.resolve(knownClient(bad)), /describes itself in a way we cannot use: the metadata document is not JSON/);
    const ctx: AuthorizeContext = { ...context({ client_id: 'mcp_1' }), client: undefined };
    await knownClient(ctx);
    assert.equal(ctx.client?.clientId, 'mcp_1');
  });

  test('RU-02: the redirect URI must be registered; it may be left out only when exactly one is', async () => {
    const omitted = context({});
    await registeredRedirectUri(omitted);
    assert.equal(omitted.redirectUri, 'https://app.example/cb');
    assert.equal(await refusal(registeredRedirectUri, context({ redirect_uri: 'https://evil.example/cb' })), 'invalid_request');
    const two = context({});
    two.client = { ...client, redirectUris: ['https://app.example/a', 'https://app.example/b'] };
    assert.equal(await refusal(registeredRedirectUri, two), 'invalid_request', 'which one is ambiguous');
  });

  test('only response_type=code', async () => {
    assert.equal(await refusal(responseTypeCode, context(valid)), undefined);
    assert.equal(await refusal(responseTypeCode, context({ response_type: 'token' })), 'unsupported_response_type');
    assert.equal(await refusal(responseTypeCode, context({})), 'unsupported_response_type');
  });

  test('PK-01: PKCE with S256 and a 43-character challenge', async () => {
    assert.equal(await refusal(pkceS256, context(valid)), undefined);
    assert.equal(await refusal(pkceS256, context({ code_challenge: CHALLENGE })), 'invalid_request', 'the method defaults to plain, which we refuse');
    assert.equal(await refusal(pkceS256, context({ code_challenge: CHALLENGE, code_challenge_method: 'plain' })), 'invalid_request');
    assert.equal(await refusal(pkceS256, context({ code_challenge: `${CHALLENGE}x`, code_challenge_method: 'S256' })), 'invalid_request');
    assert.equal(await refusal(pkceS256, context({ code_challenge_method: 'S256' })), 'invalid_request');
  });

  test("RFC 8707: the resource is this wiki's MCP endpoint, with or without a trailing slash", async () => {
    assert.equal(await refusal(resourceIsThisWiki, context({})), undefined);
    assert.equal(await refusal(resourceIsThisWiki, context({ resource: `${MCP}/` })), undefined);
    assert.equal(await refusal(resourceIsThisWiki, context({ resource: 'https://other.wiki.example/mcp' })), 'invalid_target');
  });

  test('scopes are ours; an empty list is refused', async () => {
    assert.equal(await refusal(knownScopes, context({ scope: 'wiki:read wiki:write' })), undefined);
    assert.equal(await refusal(knownScopes, context({ scope: 'wiki:read openid' })), 'invalid_scope');
    assert.equal(await refusal(knownScopes, context({ scope: '   ' })), 'invalid_scope');
  });

  test('CS-06: a person grants only what their role holds; more is narrowed, nothing left is access_denied', async () => {
    const owner = context({}, { role: 'owner' });
    await grantableScopes(owner);
    assert.deepEqual(owner.scopes, ['wiki:read', 'wiki:write'], 'no scope: everything the role holds');
    const reader = context({ scope: 'wiki:write wiki:read' }, { role: 'read' });
    await grantableScopes(reader);
    assert.deepEqual(reader.scopes, ['wiki:read'], 'narrowed (RFC 6749 §3.3)');
    assert.equal(await refusal(grantableScopes, context({ scope: 'wiki:write' }, { role: 'read' })), 'access_denied');
    assert.equal(await refusal(grantableScopes, context({}, {})), 'access_denied', 'no role at all');
  });

  test('RU-04: the checks that run before anything may be redirected are exactly the client checks, in order', async () => {
    assert.deepEqual(CLIENT_CHECKS, [parametersOnce, stateWithinLimit, knownClient, registeredRedirectUri]);
    assert.deepEqual(REQUEST_CHECKS, [responseTypeCode, pkceS256, resourceIsThisWiki, knownScopes, grantableScopes]);
    // A request that is wrong in every way is refused first for what a page must say.
    const ctx = context({ client_id: 'nobody', response_type: 'token', scope: 'admin' });
    await assert.rejects(runChecks(CLIENT_CHECKS, ctx), /not registered with this wiki/);
    const all = context({ ...valid, scope: 'wiki:write' }, { role: 'write' });
    await runChecks([...CLIENT_CHECKS, ...REQUEST_CHECKS], all);
    assert.deepEqual([all.redirectUri, all.scopes], ['https://app.example/cb', ['wiki:write']]);
  });
});
