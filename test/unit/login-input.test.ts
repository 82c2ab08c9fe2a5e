import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LoginInputError, parseLoginInput } from '../../src/atproto/login-input.ts';

const parse = (input: string, allowTestTld = false) => parseLoginInput(input, { allowTestTld });

describe('login input', () => {
  test('accepts a handle, @handle, a DID, or a server URL', () => {
    assert.deepEqual(parse('alice.bsky.social'), { kind: 'handle', value: 'alice.bsky.social' });
    assert.deepEqual(parse('  @alice.bsky.social '), { kind: 'handle', value: 'alice.bsky.social' });
    assert.deepEqual(parse('did:plc:ewvi7nxzyoun6zhxrhs64oiz'), { kind: 'did', value: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz' });
    assert.deepEqual(parse('did:web:example.com'), { kind: 'did', value: 'did:web:example.com' });
    assert.deepEqual(parse('https://bsky.social/'), { kind: 'service', value: 'https://bsky.social' });
  });

  test('AT-04: upper case is normalised and a trailing dot dropped', () => {
    assert.deepEqual(parse('ALICE.Example.COM.'), { kind: 'handle', value: 'alice.example.com' });
  });

  test('strips control and invisible characters before anything else', () => {
    assert.deepEqual(parse('al\u200bice.bsky\u0000.social\r\n'), { kind: 'handle', value: 'alice.bsky.social' });
  });

  test('AT-04: reserved TLDs and bad syntax are refused before any network I/O', () => {
    const refused = [
      'laptop.local',
      'x.arpa',
      'x.internal',
      'x.onion',
      'x.localhost',
      'x.alt',
      'handle.invalid',
      'a.example',
      'alice',
      'a..b.com',
      `${'a'.repeat(250)}.com`,
      'al ice.com',
      '-a.com',
      'a.1com',
      'did:plc:short',
      'did:key:zabc',
      'http://user:pw@pds.example',
      'ftp://pds.example',
      '',
      '   ',
    ];
    for (const input of refused) assert.throws(() => parse(input), LoginInputError, JSON.stringify(input));
  });

  test('.test handles and http servers only on a local test network', () => {
    assert.throws(() => parse('alice.test'), LoginInputError);
    assert.deepEqual(parse('alice.test', true), { kind: 'handle', value: 'alice.test' });
    assert.throws(() => parse('http://localhost:2583'), LoginInputError);
    assert.deepEqual(parse('http://localhost:2583', true), { kind: 'service', value: 'http://localhost:2583' });
  });
});
