import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redirectUriMatches, redirectUriProblem } from '../../src/authserver/redirect-uri.ts';

describe('redirect URIs', () => {
  test('RU-01: anything but the exact registered https URI is refused', () => {
    const registered = 'https://app.example/cb';
    assert.equal(redirectUriMatches(registered, registered), true);
    for (const requested of [
      'https://app.example/cb/',
      'https://APP.example/cb',
      'https://app.example:443/cb',
      'https://app.example/cb?x=1',
      'https://app.example/cb#f',
      'https://app.example/cb/../evil',
      'https://app.example/cb%2F..%2Fevil',
      'https://app.example.evil.com/cb',
      'https://app.example@evil.com/cb',
      'http://app.example/cb',
      'https://app.example:8443/cb',
    ]) {
      assert.equal(redirectUriMatches(registered, requested), false, requested);
    }
  });

  test('RU-03: loopback redirects match on any port, nothing else varies, no cross-host matching', () => {
    assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:53124/cb'), true);
    assert.equal(redirectUriMatches('http://localhost:3000/callback', 'http://localhost:61234/callback'), true, 'Claude Code: localhost, ephemeral port');
    assert.equal(redirectUriMatches('http://[::1]/cb', 'http://[::1]:8080/cb'), true);
    for (const requested of [
      'http://localhost:53124/cb',
      'http://127.0.0.1:53124/cb2',
      'https://127.0.0.1:53124/cb',
      'http://127.000.000.001:53124/cb',
      'http://127.0.0.1:53124/cb?x=1',
    ]) {
      assert.equal(redirectUriMatches('http://127.0.0.1/cb', requested), false, requested);
    }
  });

  test('RU-03: port 0 names no listener: it can be neither registered nor requested', () => {
    for (const uri of ['http://127.0.0.1:0/cb', 'http://localhost:0/cb', 'http://[::1]:0/cb', 'https://app.example:0/cb', 'http://127.0.0.1:00/cb']) {
      assert.ok(redirectUriProblem(uri), uri);
    }
    assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:0/cb'), false, 'any port but 0');
    assert.equal(redirectUriMatches('http://127.0.0.1:0/cb', 'http://127.0.0.1:0/cb'), false, 'even when registered before the rule');
  });

  test('DC-01: dangerous schemes cannot be registered', () => {
    for (const uri of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>x</script>',
      'file:///etc/passwd',
      'vbscript:msgbox',
      'about:blank',
    ]) {
      assert.ok(redirectUriProblem(uri), uri);
    }
  });

  test('DC-02: non-loopback http, fragments, wildcards, credentials, relative and dot-less private schemes are refused; loopback and reverse-DNS accepted', () => {
    for (const uri of [
      'http://evil.com/cb',
      'https://evil.com/cb#frag',
      'https://*.evil.com/cb',
      'https://user:pass@evil.com/cb',
      '/cb',
      'myapp:/cb',
      'https://evil.com/c b',
    ]) {
      assert.ok(redirectUriProblem(uri), uri);
    }
    for (const uri of [
      'https://claude.ai/api/mcp/auth_callback',
      'http://127.0.0.1/cb',
      'http://[::1]/cb',
      'http://localhost:3000/cb',
      'com.example.app:/cb',
    ]) {
      assert.equal(redirectUriProblem(uri), undefined, uri);
    }
  });
});

describe('redirect URIs: what RFC 8252 does not relax', () => {
  test('RU-03: the loopback port exemption is for http only and never crosses hosts or paths', () => {
    assert.equal(redirectUriMatches('http://localhost/cb', 'http://localhost:8080/cb'), true);
    assert.equal(redirectUriMatches('https://localhost/cb', 'https://localhost:8443/cb'), false, 'https loopback: exact match only');
    assert.equal(redirectUriMatches('http://127.0.0.1:3000/cb', 'http://[::1]:3000/cb'), false);
    assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:80/cb?'), false, 'an empty query is still a difference');
    assert.equal(redirectUriMatches('http://127.0.0.1/a', 'http://127.0.0.1:5000/A'), false, 'paths compare case-sensitively');
    assert.equal(redirectUriMatches('com.example.app:/cb', 'com.example.app:/cb'), true, 'private-use schemes: exact');
    assert.equal(redirectUriMatches('com.example.app:/cb', 'com.example.app:/cb2'), false);
  });

  test('unparseable URIs never match, even byte-equal', () => {
    assert.equal(redirectUriMatches('not a uri', 'not a uri'), false);
    assert.equal(redirectUriMatches('https://app.example/cb', '/cb'), false);
  });

  test('DC-02: the length limit and control characters', () => {
    assert.equal(redirectUriProblem(`https://app.example/${'a'.repeat(1980)}`), undefined);
    assert.ok(redirectUriProblem(`https://app.example/${'a'.repeat(1981)}`));
    for (const uri of ['https://app.example/cb\u0000', 'https://app.example/\tcb', 'https://app.example/cb\u007f'])
      assert.ok(redirectUriProblem(uri), JSON.stringify(uri));
  });
});
