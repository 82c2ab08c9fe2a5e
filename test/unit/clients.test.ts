// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) and client
// authentication at the token endpoint (RFC 6749 §2.3.1): the pure parts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Context } from 'hono';
import { authenticateClient, presentedCredentials } from '../../src/authserver/client-request.ts';
import {
  cacheSeconds,
  ClientMetadataError,
  documentUrlProblem,
  isJsonMediaType,
  parseDocument,
  type Client,
  type ClientResolver,
} from '../../src/authserver/clients.ts';
import { sha256 } from '../../src/secrets.ts';
import type { Wiki } from '../../src/store/wikis.ts';

const ID = 'https://app.example/oauth/client.json';
const document = { client_id: ID, client_name: 'App', redirect_uris: ['https://app.example/cb'] };

describe('client metadata documents', () => {
  test('a minimal document is a public client vouched for by its host', () => {
    assert.deepEqual(parseDocument(ID, document), {
      clientId: ID,
      secretHash: null,
      redirectUris: ['https://app.example/cb'],
      clientName: 'App',
      grantTypes: ['authorization_code'],
      verifiedHost: 'app.example',
    });
    assert.deepEqual(
      parseDocument(ID, { ...document, grant_types: ['authorization_code', 'refresh_token', 'implicit'] }).grantTypes,
      ['authorization_code', 'refresh_token'],
      'unknown grant types are dropped',
    );
    assert.equal(parseDocument(ID, { ...document, client_name: undefined }).clientName, 'app.example', 'no name: the host');
  });

  test('what a metadata document must not be', () => {
    const refused: unknown[] = [
      null,
      [],
      'text',
      { ...document, client_id: 'https://evil.example/client.json' },
      { ...document, client_secret: 's' },
      { ...document, client_secret_expires_at: 0 },
      { ...document, token_endpoint_auth_method: 'client_secret_basic' },
      { ...document, redirect_uris: [] },
      { ...document, redirect_uris: ['javascript:alert(1)'] },
      { ...document, redirect_uris: Array.from({ length: 11 }, (_, i) => `https://app.example/cb${i}`) },
      { ...document, redirect_uris: 'https://app.example/cb' },
    ];
    for (const body of refused) assert.throws(() => parseDocument(ID, body), ClientMetadataError, JSON.stringify(body));
  });

  test('the client_id URL: normalised, with a path, without fragment, credentials or dot segments', () => {
    assert.equal(documentUrlProblem(ID), undefined);
    for (const id of [
      'not a url',
      'https://app.example',
      'https://app.example/',
      'https://APP.example/c.json',
      'https://app.example/c.json#f',
      'https://u:p@app.example/c.json',
      'https://app.example/a/../c.json',
      'https://app.example/./c.json',
    ]) {
      assert.ok(documentUrlProblem(id), id);
    }
  });

  test('only application/json or application/*+json is metadata', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/client-metadata+json'])
      assert.equal(isJsonMediaType(type), true, type);
    for (const type of [null, '', 'text/html', 'text/json', 'application/jsonp', 'application/+json', 'application/json-seq'])
      assert.equal(isJsonMediaType(type), false, String(type));
  });

  test('cache lifetimes follow Cache-Control within a minute and a day', () => {
    assert.equal(cacheSeconds(null), 300);
    assert.equal(cacheSeconds('max-age=3600'), 3600);
    assert.equal(cacheSeconds('public, max-age=5'), 60);
    assert.equal(cacheSeconds('max-age=999999'), 86400);
    assert.equal(cacheSeconds('no-store'), 60);
    assert.equal(cacheSeconds('no-cache, max-age=3600'), 60);
  });
});

describe('client authentication', () => {
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  test('RFC 6749 §2.3.1: Basic with form-urlencoded id and secret, or the body', () => {
    assert.deepEqual(presentedCredentials(basic('mcp%3A1', 's%20s'), new Map()), { clientId: 'mcp:1', secret: 's s', basic: true });
    assert.deepEqual(
      presentedCredentials(
        undefined,
        new Map([
          ['client_id', 'mcp_1'],
          ['client_secret', 's'],
        ]),
      ),
      { clientId: 'mcp_1', secret: 's', basic: false },
    );
    assert.deepEqual(
      presentedCredentials(basic('mcp_1', '%E0%A4%A'), new Map([['client_id', 'other']])),
      { basic: true },
      'malformed escapes: no credentials, not the body',
    );
    assert.deepEqual(
      presentedCredentials('Basic bm9jb2xvbg==', new Map([['client_id', 'mcp_1']])),
      { clientId: 'mcp_1', secret: undefined, basic: false },
      'no colon: Basic is ignored',
    );
    assert.deepEqual(presentedCredentials('Bearer x', new Map()), { clientId: undefined, secret: undefined, basic: false });
  });

  const wiki = { id: 'w' } as Wiki;
  const c = {} as Context;
  const confidential: Client = { clientId: 'conf', secretHash: sha256('right'), redirectUris: [], clientName: 'C', grantTypes: [] };
  const publicClient: Client = { ...confidential, clientId: 'pub', secretHash: null };
  const resolver: ClientResolver = {
    async resolve(_wiki, clientId) {
      if (clientId === 'https://bad.example/c.json') throw new ClientMetadataError('bad');
      return [confidential, publicClient].find((client) => client.clientId === clientId);
    },
  };

  test('a confidential client needs its secret; a public client must send none', async () => {
    assert.equal(await authenticateClient(resolver, c, wiki, { clientId: 'conf', secret: 'right' }), confidential);
    assert.equal(await authenticateClient(resolver, c, wiki, { clientId: 'conf', secret: 'wrong' }), undefined);
    assert.equal(await authenticateClient(resolver, c, wiki, { clientId: 'conf' }), undefined);
    assert.equal(await authenticateClient(resolver, c, wiki, { clientId: 'pub' }), publicClient);
    assert.equal(await authenticateClient(resolver, c, wiki, { clientId: 'pub', secret: 'anything' }), undefined);
  });

  test('no client, an unknown one, or a bad metadata document: not authenticated', async () => {
    assert.equal(await authenticateClient(resolver, c, wiki, {}), undefined);
    assert.equal(await authenticateClient(resolver, c, wiki, { clientId: 'nobody' }), undefined);
    assert.equal(await authenticateClient(resolver, c, wiki, { clientId: 'https://bad.example/c.json' }), undefined);
  });
});
