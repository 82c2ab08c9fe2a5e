// requestTarget (src/web/request-target.ts) must give exactly what `new URL` gives, on the URLs
// @hono/node-server hands us: serialised URLs, and raw request targets it passes through untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { requestTarget } from '../../src/http/request-target.ts';
import { seeded } from '../helpers/property.ts';

const expected = (url: string) => {
  const parsed = new URL(url);
  return { pathname: parsed.pathname, search: parsed.search };
};

test('known shapes: plain, escaped, dot segments, empty query, fragment, quotes, non-ASCII', () => {
  for (const target of [
    '/',
    '/w/lab/oauth/authorize?response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=a.b~c',
    '/a/%2e%2e/b',
    '/a/%2E./b',
    '/a/./b',
    '/a/..',
    '/p?',
    '/p?#x',
    '/p#x?y',
    "/p?q='1'",
    '/p?q="1"',
    '/p q',
    '/é?é=é',
    '/p?a<b>c',
    '/p^x`y{z}',
    '/p|q?r|s^t`u{v}',
    '/a\\b',
    "/it's",
    '/%zz?%zz',
    '/%00?%00',
  ]) {
    const url = `http://127.0.0.1:8080${target}`;
    assert.deepEqual(requestTarget(url), expected(url), target);
  }
});

test('any target made of URL-significant characters: the same as new URL', (t) => {
  const piece = fc.constantFrom(
    '/',
    '.',
    '..',
    '%2e',
    '%2E',
    '?',
    '#',
    '%',
    '%41',
    "'",
    '"',
    ' ',
    '<',
    '>',
    '`',
    '{',
    '}',
    '^',
    '|',
    '\\',
    '[',
    ']',
    '&',
    '=',
    '+',
    '~',
    'a',
    'Z',
    '0',
    'é',
    '\u0000',
    '\u007f',
    ';',
    ':',
    '@',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 16 }), fc.constantFrom('http://127.0.0.1:8080', 'https://wiki.example', 'http://localhost'), (pieces, origin) => {
      const url = `${origin}/${pieces.join('')}`;
      assert.deepEqual(requestTarget(url), expected(url), url);
    }),
    seeded(t, { runs: 5000 }),
  );
});
