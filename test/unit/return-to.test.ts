import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/config.ts';
import { safeReturnTo } from '../../src/http/return-to.ts';
import { redirectTricks, seeded } from '../helpers/property.ts';

describe('return_to (no open redirect)', () => {
  const pathMode = loadConfig({});
  const hostMode = loadConfig({ PUBLIC_URL: 'https://robot.wtf', WIKI_DOMAIN: 'robot.wtf' });

  test('same-origin paths are kept', () => {
    assert.equal(safeReturnTo('/app/', pathMode), '/app/');
    assert.equal(safeReturnTo('/w/notes/mcp?x=1', pathMode), '/w/notes/mcp?x=1');
    assert.equal(safeReturnTo('http://127.0.0.1:8003/app/', pathMode), 'http://127.0.0.1:8003/app/');
  });

  test('wiki origins are kept in host mode, nothing else', () => {
    assert.equal(safeReturnTo('https://notes.robot.wtf/authorize?x=1', hostMode), 'https://notes.robot.wtf/authorize?x=1');
    for (const evil of [
      'https://a.b.robot.wtf/',
      'https://robot.wtf.evil.com/',
      'http://notes.robot.wtf/',
      'https://notes.robot.wtf:8443/',
      'https://user@notes.robot.wtf/',
    ]) {
      assert.equal(safeReturnTo(evil, hostMode), undefined, evil);
    }
  });

  test('other origins, scheme-relative and backslash tricks are dropped', () => {
    for (const evil of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      'data:text/html,x',
      '/app/\r\nSet-Cookie: x',
      '',
      undefined,
      '/'.padEnd(3000, 'a'),
    ]) {
      assert.equal(safeReturnTo(evil, pathMode), undefined, JSON.stringify(evil));
    }
  });
});

/** Where a browser goes when it follows `location` from a page at `from` (WHATWG URL, as browsers parse). */
const followed = (location: string, from: string) => new URL(location, from).origin;
/** The origins a return_to may lead to: the platform, and in host mode one wiki below WIKI_DOMAIN. */
const allowedOrigin = (origin: string, publicUrl: string, wikiDomain?: string) =>
  origin === publicUrl || (wikiDomain !== undefined && new RegExp(`^https://[a-z0-9-]+\\.${wikiDomain.replaceAll('.', '\\.')}$`).test(origin));

/** Pieces an attacker combines: separators, dot segments, their encodings, whitespace, schemes, hosts. */
const PIECES = [
  '/',
  '\\',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '%00',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '\u3002',
  '\uff0f',
  '\uff3c',
  '\u2215',
  '\u202e',
  '@',
  ':',
  '?',
  '#',
  'http:',
  'https:',
  'javascript:',
  'evil.example',
  'notes.robot.wtf',
  'robot.wtf',
  '127.0.0.1:8003',
  'a',
];

describe('RU-05: return_to after URL normalisation', () => {
  const pathMode = loadConfig({});
  const hostMode = loadConfig({ PUBLIC_URL: 'https://robot.wtf', WIKI_DOMAIN: 'robot.wtf' });

  test('RU-05: dot segments that normalise to //host are refused, not returned', () => {
    for (const evil of [
      '/.//evil.example',
      '/a/..//evil.example',
      '/%2e//evil.example',
      '/%2E%2E//evil.example',
      '/./\\evil.example',
      '/.\\/evil.example',
      '/a/b/../..//evil.example',
      '/%2e/%2e//evil.example',
    ]) {
      assert.equal(safeReturnTo(evil, pathMode), undefined, JSON.stringify(evil));
      assert.equal(safeReturnTo(evil, hostMode), undefined, JSON.stringify(evil));
    }
  });

  test('RU-05: encoded and doubled separators, whitespace and look-alikes stay on the platform or are refused', () => {
    const cases = [
      '//evil.example',
      '///evil.example',
      '/\\/evil.example',
      '\\/evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r\n/evil.example',
      '\t//evil.example',
      ' //evil.example',
      '/%5cevil.example',
      '/%5C%5Cevil.example',
      '/%2f%2fevil.example',
      '/%2F/evil.example',
      '/\uff0f\uff0fevil.example',
      '/\u3002/evil.example',
      'https:\\\\evil.example',
      'https:/evil.example',
      'http:evil.example',
      'HTTPS://EVIL.EXAMPLE',
      '/\u0000/evil.example',
      '/app/\u202e',
    ];
    for (const config of [pathMode, hostMode]) {
      for (const value of cases) {
        const location = safeReturnTo(value, config);
        if (location === undefined) continue;
        const origin = followed(location, `${config.publicUrl}/auth/login`);
        assert.ok(allowedOrigin(origin, config.publicUrl, config.wikiDomain), `${JSON.stringify(value)} → ${location}`);
        assert.ok(!/^[/\\]{2}/.test(location), `${JSON.stringify(value)} → ${location} reads as protocol-relative`);
      }
    }
    assert.equal(safeReturnTo('/a/../app/', pathMode), '/app/', 'a harmless dot segment is normalised, not refused');
    assert.equal(safeReturnTo('/%5cevil.example', pathMode), '/%5cevil.example', 'an encoded backslash is a path character');
  });

  test('RU-05: for any input, the Location a browser follows stays on an allowed origin (property)', (t) => {
    const input = fc.oneof(
      redirectTricks(['evil.example', 'notes.robot.wtf', 'a.b.robot.wtf', 'robot.wtf.evil.example', '127.0.0.1:8003']),
      fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((parts) => parts.join('')),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.webUrl(),
    );
    for (const config of [pathMode, hostMode]) {
      fc.assert(
        fc.property(input, (value) => {
          const location = safeReturnTo(value, config);
          return location === undefined || allowedOrigin(followed(location, `${config.publicUrl}/auth/login?x=1`), config.publicUrl, config.wikiDomain);
        }),
        seeded(t, { runs: 5000 }),
      );
    }
  });
});
