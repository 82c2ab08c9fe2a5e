// The token endpoint's checks for the code and refresh grants (src/authserver/token-checks.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firstRefusal } from '../../src/authserver/checks.ts';
import type { Client } from '../../src/authserver/clients.ts';
import { CODE_GRANT_CHECKS, REFRESH_GRANT_CHECKS, type CodeGrantContext, type RefreshGrantContext } from '../../src/authserver/token-checks.ts';
import { sha256 } from '../../src/secrets.ts';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const MCP = 'https://notes.wiki.example/mcp';
const NOW = 1_800_000_000;
const client: Client = {
  clientId: 'mcp_1',
  secretHash: null,
  redirectUris: ['https://app.example/cb'],
  clientName: 'App',
  grantTypes: ['authorization_code', 'refresh_token'],
};

const code: CodeGrantContext['code'] = {
  code_hash: 'h',
  grant_id: 'g',
  wiki_id: 'w',
  client_id: 'mcp_1',
  user_did: 'did:plc:a',
  redirect_uri: 'https://app.example/cb',
  code_challenge: CHALLENGE,
  scope: 'wiki:read',
  resource: MCP,
  expires_at: NOW + 60,
  consumed_at: null,
  validly_consumed_at: null,
  authorized: true,
};

async function codeRefusal(form: Record<string, string>, changes: Partial<CodeGrantContext['code']> = {}, now = NOW) {
  const refusal = await firstRefusal(CODE_GRANT_CHECKS, { client, form: new Map(Object.entries(form)), code: { ...code, ...changes }, now });
  return refusal && [refusal.error, refusal.description];
}

describe('code grant checks', () => {
  test('a correct redemption passes every check', async () => {
    assert.equal(await codeRefusal({ code_verifier: VERIFIER }), undefined);
    assert.equal(await codeRefusal({ code_verifier: VERIFIER, redirect_uri: 'https://app.example/cb', resource: `${MCP}/` }), undefined);
  });

  test('AC-03: a code issued to another client', async () => {
    assert.deepEqual(await codeRefusal({ code_verifier: VERIFIER }, { client_id: 'mcp_2' }), ['invalid_grant', 'the code was issued to another client']);
  });

  test('PK-01..03: the verifier must match the S256 challenge; none, a wrong one or a malformed one is invalid_grant', async () => {
    for (const verifier of [undefined, 'x'.repeat(43), `${VERIFIER}!`, VERIFIER.slice(0, 42), CHALLENGE]) {
      const form: Record<string, string> = verifier === undefined ? {} : { code_verifier: verifier };
      assert.deepEqual((await codeRefusal(form))?.[0], 'invalid_grant', String(verifier));
    }
    assert.deepEqual(await codeRefusal({ code_verifier: VERIFIER }, { code_challenge: '' }), [
      'invalid_request',
      'code_verifier sent for a code issued without PKCE',
    ]);
    assert.deepEqual((await codeRefusal({}, { code_challenge: '' }))?.[0], 'invalid_grant', 'and without a verifier it is no match either');
    assert.equal(sha256(VERIFIER), CHALLENGE, 'the fixture is S256');
  });

  test('AC-04: redirect_uri, when sent, is the one of the authorization request', async () => {
    assert.deepEqual((await codeRefusal({ code_verifier: VERIFIER, redirect_uri: 'https://app.example/other' }))?.[0], 'invalid_grant');
  });

  test('AC-05: an expired code', async () => {
    assert.deepEqual(await codeRefusal({ code_verifier: VERIFIER }, {}, NOW + 60), ['invalid_grant', 'the code has expired']);
  });

  test('RFC 8707: another resource is invalid_target', async () => {
    assert.deepEqual((await codeRefusal({ code_verifier: VERIFIER, resource: 'https://other.example/mcp' }))?.[0], 'invalid_target');
  });

  test('AC-05: a revoked grant or a person who left the wiki', async () => {
    assert.deepEqual(await codeRefusal({ code_verifier: VERIFIER }, { authorized: false }), ['invalid_grant', 'the authorization is no longer valid']);
  });

  test('the first failing check decides, in the documented order', async () => {
    // Wrong client, wrong verifier, expired, revoked: the client is named first.
    assert.deepEqual((await codeRefusal({}, { client_id: 'mcp_2', authorized: false }, NOW + 100))?.[1], 'the code was issued to another client');
    assert.deepEqual(
      (await codeRefusal({ code_verifier: VERIFIER, resource: 'https://x.example/mcp' }, { authorized: false }, NOW + 100))?.[1],
      'the code has expired',
    );
  });
});

const token: RefreshGrantContext['token'] = {
  token_hash: 't',
  family_id: 'f',
  grant_id: 'g',
  wiki_id: 'w',
  client_id: 'mcp_1',
  user_did: 'did:plc:a',
  scope: 'wiki:read wiki:write',
  resource: MCP,
  family_started_at: NOW - 100,
  expires_at: NOW + 100,
  rotated_at: null,
  authorized: true,
};

async function refreshRefusal(form: Record<string, string>, changes: Partial<RefreshGrantContext['token']> = {}, now = NOW) {
  const refusal = await firstRefusal(REFRESH_GRANT_CHECKS, { client, form: new Map(Object.entries(form)), token: { ...token, ...changes }, now });
  return refusal && [refusal.error, refusal.description];
}

describe('refresh grant checks', () => {
  test('a refresh, narrower or not, passes', async () => {
    assert.equal(await refreshRefusal({}), undefined);
    assert.equal(await refreshRefusal({ scope: 'wiki:read', resource: MCP }), undefined);
  });

  test("RT-03: another client's token is the one answer for dead tokens", async () => {
    assert.deepEqual(await refreshRefusal({}, { client_id: 'mcp_2' }), ['invalid_grant', 'the refresh token is invalid']);
  });

  test('RT-04: wider scope is invalid_scope, another resource invalid_target', async () => {
    assert.deepEqual((await refreshRefusal({ scope: 'wiki:read wiki:admin' }))?.[0], 'invalid_scope');
    assert.deepEqual(
      (await refreshRefusal({}, { scope: 'wiki:read' }).then(() => refreshRefusal({ scope: 'wiki:write' }, { scope: 'wiki:read' })))?.[0],
      'invalid_scope',
    );
    assert.deepEqual((await refreshRefusal({ resource: 'https://other.example/mcp' }))?.[0], 'invalid_target');
  });

  test('RT-06: expired, revoked or no longer a member: the same answer', async () => {
    for (const [changes, now] of [
      [{}, NOW + 100],
      [{ authorized: false }, NOW],
    ] as const) {
      assert.deepEqual(await refreshRefusal({}, changes, now), ['invalid_grant', 'the refresh token is invalid']);
    }
  });
});
