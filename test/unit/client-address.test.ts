// Who the client is (catalogue IN-07): the TCP peer, or, when the peer is a trusted proxy, the address
// X-Forwarded-For names, read from the right through trusted hops only; and the bucket a rate limit
// counts it in (IPv6 per /64).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';
import { addressBucket, clientAddress } from '../../src/net/client-address.ts';

const trusting = (list: string) => loadConfig({ TRUSTED_PROXIES: list }, '/srv/robot').trustedProxies;

describe('client address', () => {
  const proxy = trusting('127.0.0.1, 10.0.0.0/8, fd00::/8');

  test('IN-07: with no trusted proxies the peer is the client, whatever X-Forwarded-For says', () => {
    const none = loadConfig({}, '/srv/robot').trustedProxies;
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9', none), '127.0.0.1');
    assert.equal(clientAddress('198.51.100.4', undefined, none), '198.51.100.4');
    assert.equal(clientAddress(undefined, '203.0.113.9', none), 'unknown');
  });

  test('IN-07: an untrusted peer cannot choose its address with X-Forwarded-For', () => {
    assert.equal(clientAddress('198.51.100.4', '203.0.113.9', proxy), '198.51.100.4');
    assert.equal(clientAddress('198.51.100.4', '127.0.0.1', proxy), '198.51.100.4');
  });

  test('IN-07: behind trusted hops the rightmost untrusted address is the client', () => {
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9', proxy), '203.0.113.9');
    // Whatever the client itself put in front is not believed.
    assert.equal(clientAddress('127.0.0.1', '192.0.2.66, 203.0.113.9', proxy), '203.0.113.9');
    // Several trusted hops (a load balancer in 10/8, then the local proxy) are walked through.
    assert.equal(clientAddress('127.0.0.1', '192.0.2.66, 203.0.113.9, 10.1.2.3', proxy), '203.0.113.9');
    // Repeated header lines are one list, in order (RFC 9110 §5.3).
    assert.equal(clientAddress('127.0.0.1', ['192.0.2.66', '203.0.113.9, 10.1.2.3'], proxy), '203.0.113.9');
  });

  test('IN-07: when every hop is trusted the leftmost is the client; no header leaves the peer', () => {
    assert.equal(clientAddress('127.0.0.1', '10.0.0.5, 10.0.0.6', proxy), '10.0.0.5');
    assert.equal(clientAddress('127.0.0.1', undefined, proxy), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', ' , ', proxy), '127.0.0.1');
  });

  test('IN-07: an entry that is not an address ends the walk at the hop that reported it', () => {
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9, unknown', proxy), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9, _hidden, 10.1.2.3', proxy), '10.1.2.3');
  });

  test('IN-07: IPv6, IPv4-mapped IPv6 and ports are understood and written one way', () => {
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
    assert.equal(clientAddress('::ffff:127.0.0.1', '203.0.113.9', proxy), '203.0.113.9');
    assert.equal(clientAddress('::ffff:198.51.100.4', '203.0.113.9', proxy), '198.51.100.4');
    assert.equal(clientAddress('127.0.0.1', '2001:DB8:0::1', proxy), '2001:db8::1');
    assert.equal(clientAddress('127.0.0.1', '[2001:db8::1]:4711', proxy), '2001:db8::1');
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9:4711', proxy), '203.0.113.9');
    assert.equal(clientAddress('127.0.0.1', '::ffff:203.0.113.9', proxy), '203.0.113.9');
    assert.equal(clientAddress('fd00::1', '2001:db8::7, fd12::2', proxy), '2001:db8::7');
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9, ::ffff:10.0.0.7', proxy), '203.0.113.9', 'a mapped address matches its IPv4 rule');
    const mappedRule = trusting('::ffff:127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', '203.0.113.9', mappedRule), '203.0.113.9', 'an IPv4-mapped rule matches the IPv4 peer');
  });
});

describe('rate-limit bucket of an address', () => {
  test('DC-05: IPv4 addresses are their own bucket', () => {
    assert.equal(addressBucket('203.0.113.9'), '203.0.113.9');
    assert.notEqual(addressBucket('203.0.113.9'), addressBucket('203.0.113.10'));
  });

  test('DC-05: IPv6 addresses count per /64, so one host cannot rotate through its interface ids', () => {
    assert.equal(addressBucket('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressBucket('2001:db8:1:2::1'), addressBucket('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    assert.notEqual(addressBucket('2001:db8:1:2::1'), addressBucket('2001:db8:1:3::1'));
    assert.equal(addressBucket('::1'), '::/64');
    assert.equal(addressBucket('2001:db8::1.2.3.4'), '2001:db8::/64');
  });

  test('DC-05: a peer that is not an address is one bucket of its own', () => {
    assert.equal(addressBucket('unknown'), 'unknown');
  });
});
