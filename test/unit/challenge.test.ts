import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { challenge } from '../../src/mcp/challenge.ts';

const resource = { resourceMetadataUrl: 'https://robot.example/.well-known/oauth-protected-resource/w/notes/mcp' };

/**
 * Reads a challenge back with the RFC 9110 §11.2 grammar (`Bearer` then comma-separated
 * token=quoted-string params), failing on anything that does not fit it.
 */
function parse(header: string): Map<string, string> {
  const match = /^Bearer (.*)$/s.exec(header);
  assert.ok(match, `not a Bearer challenge: ${header}`);
  const params = new Map<string, string>();
  const param = /([A-Za-z_]+)="((?:[^"\\]|\\[\x20-\x7e])*)"(?:, |$)/y;
  while (param.lastIndex < match[1]!.length) {
    const found = param.exec(match[1]!);
    if (!found) break;
    assert.equal(params.has(found[1]!), false, `${found[1]} appears twice`);
    params.set(found[1]!, found[2]!.replace(/\\(.)/g, '$1'));
  }
  assert.equal(param.lastIndex, match[1]!.length, `unparsable from ${param.lastIndex}: ${header}`);
  return params;
}

describe('WWW-Authenticate challenge', () => {
  test('PR-03: without credentials: the metadata URL and every scope, and no error (RFC 6750 §3.1)', () => {
    assert.equal(challenge(resource), `Bearer resource_metadata="${resource.resourceMetadataUrl}", scope="wiki:read wiki:write"`);
  });

  test('a refused token: invalid_token with its description', () => {
    const header = challenge(resource, { code: 'invalid_token', description: 'the access token has expired' });
    assert.deepEqual(Object.fromEntries(parse(header)), {
      resource_metadata: resource.resourceMetadataUrl,
      scope: 'wiki:read wiki:write',
      error: 'invalid_token',
      error_description: 'the access token has expired',
    });
  });

  test('RS-10: insufficient_scope names only the scopes the call needs', () => {
    const params = parse(challenge(resource, { code: 'insufficient_scope', description: 'this call needs wiki:write', scopes: ['wiki:write'] }));
    assert.equal(params.get('error'), 'insufficient_scope');
    assert.equal(params.get('scope'), 'wiki:write');
  });

  test('no description, no error_description', () => {
    assert.equal(parse(challenge(resource, { code: 'invalid_token' })).has('error_description'), false);
  });

  test('PR-03: quotes and backslashes are escaped, CR/LF and other controls cannot end the header', () => {
    const hostile = challenge({ resourceMetadataUrl: 'https://a.example/m"x' }, { code: 'invalid_token', description: 'bad "token"\r\nX-Injected: yes \\' });
    assert.doesNotMatch(hostile, /[\r\n]/);
    assert.equal(
      hostile,
      'Bearer resource_metadata="https://a.example/m\\"x", scope="wiki:read wiki:write", error="invalid_token", error_description="bad \\"token\\" X-Injected: yes \\\\"',
    );
    const params = parse(hostile);
    assert.equal(params.get('resource_metadata'), 'https://a.example/m"x');
    assert.equal(params.get('error_description'), 'bad "token" X-Injected: yes \\');
    assert.equal(params.size, 4, 'nothing injected as a parameter of its own');
  });

  test('PR-03: printable ASCII only (RFC 6750 §3): controls and non-ASCII become one space per run', () => {
    const header = challenge(resource, { code: 'invalid_token', description: 'tab\there, nul\0, del\x7f, “curly”, café🤖\u2028end' });
    assert.match(header, /^[\x20-\x7e]*$/);
    assert.equal(parse(header).get('error_description'), 'tab here, nul , del ,  curly , caf end');
    // fetch's Headers accepts it as a header value.
    assert.equal(new Headers({ 'WWW-Authenticate': header }).get('www-authenticate'), header);
  });
});
