// The fetch our atproto client uses for everything derived from user input (catalogue SS). Literal
// addresses here are loopback ones, or private ones under the dial guard; names are answered by a
// table resolver (no DNS), and the dial guard refuses, before dialling, any connection that is not
// to loopback, so a guard that failed can only reach this machine, where the listener on :443 counts it.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { hardenedFetch } from '../../src/net/hardened-fetch.ts';
import { guardDials, tableResolver, type DialGuard } from '../helpers/dial-guard.ts';
import { TestClient } from '../helpers/http-client.ts';
import { PKCE } from '../helpers/oauth-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

function listen<T extends NetServer | Server>(server: T, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

describe('outbound fetch hardening', () => {
  const secure = hardenedFetch(false);
  let tls: NetServer;
  let connections = 0;

  before(async () => {
    tls = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await listen(tls, 443);
  });
  after(() => new Promise<void>((resolve) => tls.close(() => resolve())));

  test('SS-01: loopback, private and special addresses, in every literal encoding, are blocked before connecting', async () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://2130706433/',
      'https://0x7f000001/',
      'https://127.1/',
      'https://0177.0.0.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://0.0.0.0/',
      'https://localhost/',
    ]) {
      await assert.rejects(secure(url), /fetch failed|not a public domain|non-unicast/, url);
    }
    assert.equal(connections, 0, 'no TCP connection was made');
  });

  test('SS-04: http, file, data, non-default ports and credentials are refused before any fetch', async () => {
    for (const url of ['http://localhost/', 'file:///etc/passwd', 'data:application/json,{}', 'https://localhost:8443/', 'https://user:pw@localhost/']) {
      await assert.rejects(secure(url), url);
    }
    assert.equal(connections, 0);
  });

  describe('limits that hold even on a local test network (insecure mode)', () => {
    const insecure = hardenedFetch(true);
    let http: Server;
    let base = '';
    before(async () => {
      http = createHttpServer((req, res) => {
        if (req.url === '/huge') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(Buffer.alloc(600 * 1024, 0x20));
        } else if (req.url === '/silent') {
          // Accepts and never answers (slow loris / black hole).
        }
      });
      base = `http://127.0.0.1:${await listen(http)}`;
    });
    after(() => {
      http.closeAllConnections();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    });

    test('SS-05: a body over 512 KiB is aborted', async () => {
      await assert.rejects(async () => {
        const response = await insecure(`${base}/huge`);
        await response.arrayBuffer();
      }, /size|large|exceed/i);
    });

    test('SS-06: a server that never answers is abandoned within the 10 s budget', async () => {
      const started = Date.now();
      await assert.rejects(insecure(`${base}/silent`));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 9_000 && elapsed < 12_000, `gave up after ${elapsed} ms`);
    });
  });

  describe('SS-05: hostile bodies, on a local test network (insecure mode)', () => {
    const insecure = hardenedFetch(true);
    const LIMIT = 512 * 1024;
    const fetchBody = async (url: string) => Buffer.from(await (await insecure(url)).arrayBuffer());
    const servers: (Server | NetServer)[] = [];
    after(async () => {
      for (const server of servers) {
        if ('closeAllConnections' in server) server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
    async function serve<T extends Server | NetServer>(server: T): Promise<string> {
      servers.push(server);
      return `http://127.0.0.1:${await listen(server)}`;
    }

    test('SS-05: a body longer than its Content-Length ends there; the rest is never read as a response', async () => {
      // After its 100 declared bytes the server sends a second, smuggled response and then 10 MB.
      const base = await serve(
        createServer((socket) => {
          socket.on('error', () => {}); // the client resets the connection: expected
          socket.once('data', () => {
            socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n');
            socket.write(Buffer.alloc(100, 'a'));
            socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nevil!');
            socket.end(Buffer.alloc(10 * 1024 * 1024, 'b'));
          });
        }),
      );
      for (const attempt of [1, 2]) {
        assert.equal((await fetchBody(`${base}/doc-${attempt}`)).toString(), 'a'.repeat(100), `fetch ${attempt}`);
      }
    });

    test('SS-05: an endless chunked body is aborted at 512 KiB and the connection is dropped', async () => {
      let written = 0;
      let dropped: Promise<void> = Promise.resolve();
      const base = await serve(
        createHttpServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' }); // no Content-Length: chunked
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          // Writes while the client reads, and stops at 1 GiB so that a failing client cannot hang the run.
          const pump = () => {
            while (written < 1024 ** 3 && res.write(chunk)) written += chunk.length;
          };
          dropped = new Promise((resolve) => res.once('close', resolve));
          res.on('drain', pump);
          pump();
        }),
      );
      await assert.rejects(fetchBody(`${base}/endless`), /too large/i);
      const timeout = new Promise((_, reject) => {
        setTimeout(() => reject(new Error('the connection stayed open')), 5_000).unref();
      });
      await Promise.race([dropped, timeout]);
      assert.ok(written < 32 * 1024 * 1024, `the server got to write ${written} bytes`);
    });

    test('SS-05: a gzip bomb is aborted at 512 KiB of decompressed data, and memory stays bounded', async () => {
      // 256 gzip members of 1 MiB of zeros each (RFC 1952 §2.2 allows a series of members): about 260 KiB
      // on the wire, under the limit, and 256 MiB once decompressed.
      const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
      const bomb = Buffer.concat(Array.from({ length: 256 }, () => member));
      assert.ok(bomb.length < LIMIT, `${bomb.length} bytes compressed`);
      // A gzip body whose decompressed size is under the limit, in two members, arrives whole: what is
      // counted is the decompressed data.
      const fine = Buffer.alloc(400 * 1024, 0x20);
      const fineGzip = Buffer.concat([gzipSync(fine.subarray(0, 200 * 1024)), gzipSync(fine.subarray(200 * 1024))]);
      const base = await serve(
        createHttpServer((req, res) => {
          const body = req.url === '/bomb' ? bomb : fineGzip;
          const encoding = { 'content-encoding': 'gzip', 'content-length': String(body.length) };
          res.writeHead(200, { 'content-type': 'application/json', ...encoding });
          res.end(body);
        }),
      );
      assert.deepEqual(await fetchBody(`${base}/fine`), fine);

      const baseline = process.memoryUsage();
      const peak = { rss: baseline.rss, arrayBuffers: baseline.arrayBuffers, heapUsed: baseline.heapUsed };
      const sample = () => {
        const now = process.memoryUsage();
        for (const key of ['rss', 'arrayBuffers', 'heapUsed'] as const) peak[key] = Math.max(peak[key], now[key]);
      };
      const sampler = setInterval(sample, 1);
      const outcome = await fetchBody(`${base}/bomb`).then(
        (body) => `read all ${body.length} bytes`,
        (error: Error) => error,
      );
      clearInterval(sampler);
      sample();
      // Buffering the bomb would take 256 MiB; a bounded reader needs a few.
      for (const key of ['rss', 'arrayBuffers', 'heapUsed'] as const) {
        const grown = peak[key] - baseline[key];
        assert.ok(grown < 48 * 1024 * 1024, `${key} grew by ${Math.round(grown / 1024 / 1024)} MiB`);
      }
      assert.match(String(outcome), /too large/i);
    });
  });

  describe('private and special addresses, as literals and as names that resolve to them', () => {
    let guard: DialGuard;
    before(() => {
      guard = guardDials();
    });
    after(() => guard.release());

    // One name per range; `mixed` has one public answer and one private one (every answer is checked).
    const PRIVATE: Record<string, string[]> = {
      'ten.ssrf-test.net': ['10.0.0.5'],
      'b172.ssrf-test.net': ['172.16.0.1'],
      'c192.ssrf-test.net': ['192.168.1.1'],
      'metadata.ssrf-test.net': ['169.254.169.254'],
      'cgnat.ssrf-test.net': ['100.64.0.1'],
      'zero.ssrf-test.net': ['0.0.0.0'],
      'loop.ssrf-test.net': ['127.0.0.1'],
      'ula.ssrf-test.net': ['fd00::1'],
      'fc.ssrf-test.net': ['fc00::1'],
      'linklocal.ssrf-test.net': ['fe80::1'],
      'loop6.ssrf-test.net': ['::1'],
      'unspecified6.ssrf-test.net': ['::'],
      'mapped.ssrf-test.net': ['::ffff:10.0.0.1'],
      'mappedhex.ssrf-test.net': ['::ffff:a9fe:a9fe'],
      'nat64.ssrf-test.net': ['64:ff9b::a00:1'],
      'mixed.ssrf-test.net': ['8.8.8.8', '10.0.0.5'],
    };

    test('SS-01: private, link-local, CGNAT, ULA, mapped, unspecified literals: refused, not dialled', async () => {
      const mark = guard.attempts.length;
      const literals = ['10.0.0.5', '172.16.0.1', '172.31.255.254', '192.168.1.1', '169.254.169.254', '100.64.0.1'];
      literals.push('0.0.0.0', '[fc00::1]', '[fd00::1]', '[fe80::1]', '[::]', '[::ffff:10.0.0.1]');
      literals.push('[::ffff:169.254.169.254]');
      // NAT64 of 10.0.0.1, and 10.0.0.1 in hexadecimal, decimal, octal and short forms.
      literals.push('[64:ff9b::a00:1]', '0xa000001', '167772161', '012.0.0.1', '10.1');
      for (const host of literals) {
        await assert.rejects(secure(`https://${host}/latest/meta-data/`), /fetch failed|non-unicast/, host);
      }
      assert.deepEqual(guard.attemptsTo(443, mark), [], 'no TCP connection was attempted');
    });

    // The refusal comes from the lookup the connection itself uses; one private answer among several is enough.
    test('SS-01: a name whose DNS answer is private is refused at connect time, never dialled', async () => {
      const mark = guard.attempts.length;
      const resolver = tableResolver(PRIVATE);
      const fetch = hardenedFetch(false, { lookup: resolver.lookup });
      for (const name of Object.keys(PRIVATE)) await assert.rejects(fetch(`https://${name}/`), /fetch failed/, name);
      // Each refusal came from the resolved answers: every name was looked up, by the socket.
      assert.deepEqual([...new Set(resolver.lookups.map((lookup) => lookup.hostname))], Object.keys(PRIVATE));
      assert.deepEqual(guard.attemptsTo(443, mark), [], 'no TCP connection was attempted');
      assert.equal(connections, 0);
    });

    test('SS-02: DNS rebinding: whatever an earlier lookup said, the address dialled is the one checked', async () => {
      const mark = guard.attempts.length;
      // TTL 0: the name answers a public address first, then loopback to every later lookup.
      const resolver = tableResolver({ 'rebind.ssrf-test.net': [['8.8.4.4'], ['127.0.0.1']] });
      const fetch = hardenedFetch(false, { lookup: resolver.lookup });
      // A separate pre-check (the rebinding attack's target) would have seen the public answer.
      const early = await new Promise<string>((resolve) => {
        resolver.lookup('rebind.ssrf-test.net', {}, (_error, address) => resolve(String(address)));
      });
      assert.equal(early, '8.8.4.4');
      const refused = (error: Error) => /non-unicast/.test(String((error.cause as Error)?.message));
      await assert.rejects(fetch('https://rebind.ssrf-test.net/'), refused);
      // The connection looked the name up once itself, was answered loopback, and was refused.
      assert.equal(resolver.lookups.length, 2);
      assert.deepEqual(guard.attemptsTo(443, mark), [], 'the loopback answer was never dialled');
      assert.equal(connections, 0);
    });

    describe('through the real entry points of a platform with protection on', () => {
      let platform: TestPlatform;
      const resolver = tableResolver({
        'cimd.ssrf-test.net': ['10.0.0.5'],
        'victim.ssrf-test.net': ['169.254.169.254'],
        'didweb.ssrf-test.net': ['fd00::1', '192.168.1.1'],
      });
      before(async () => {
        platform = await startTestPlatform({}, { resolver });
        const wiki = { slug: 'notes', ownerDid: 'did:plc:owneraaaaaaaaaaaaaaaaaaa', displayName: 'Notes' };
        await platform.platform.deps.wikis.create(wiki, 1);
      });
      after(() => platform?.close());

      test('SS-01: a metadata document on a name resolving to 10.0.0.5: not fetched, we stop on our page', async () => {
        const mark = guard.attempts.length;
        const browser = new TestClient(platform.platform.app, platform.config.publicUrl);
        const query = {
          response_type: 'code',
          client_id: 'https://cimd.ssrf-test.net/client.json',
          redirect_uri: 'http://127.0.0.1:4000/cb',
          code_challenge: PKCE.challenge,
          code_challenge_method: 'S256',
        };
        const response = await browser.request(`/w/notes/oauth/authorize?${new URLSearchParams(query)}`);
        assert.equal(response.status, 400);
        assert.equal(response.headers.get('location'), null);
        assert.match(await response.text(), /could not be fetched/);
        assert.ok(resolver.lookups.some((lookup) => lookup.hostname === 'cimd.ssrf-test.net'));
        assert.deepEqual(guard.attemptsTo(443, mark), []);
      });

      // Handle resolution: DNS TXT, then the well-known on a name resolving to 169.254.169.254.
      test('SS-01: a handle and a did:web on private addresses fail as identity errors, never dialled', async () => {
        const mark = guard.attempts.length;
        const browser = new TestClient(platform.platform.app, platform.config.publicUrl);
        const handle = await browser.form('/auth/login', { handle: 'victim.ssrf-test.net' });
        assert.equal(handle.status, 400);
        const handlePage = await handle.text();
        assert.match(handlePage, /could not find an atproto account/);
        assert.doesNotMatch(handlePage, /169\.254|non-unicast/);
        assert.ok(resolver.txtLookups.includes('_atproto.victim.ssrf-test.net'), 'TXT asked of our resolver');
        const wellKnownHost = resolver.lookups.some((lookup) => lookup.hostname === 'victim.ssrf-test.net');
        assert.ok(wellKnownHost, 'the well-known host was looked up with our resolver');

        const didWeb = await browser.form('/auth/login', { handle: 'did:web:didweb.ssrf-test.net' });
        // Refused the way an unreachable account server is (AT-09), revealing nothing about the address.
        assert.equal(didWeb.status, 503);
        const didWebPage = await didWeb.text();
        assert.match(didWebPage, /could not reach the account server/);
        assert.doesNotMatch(didWebPage, /192\.168|fd00|non-unicast/);
        assert.ok(resolver.lookups.some((lookup) => lookup.hostname === 'didweb.ssrf-test.net'));
        assert.deepEqual(guard.attemptsTo(443, mark), []);
        assert.equal(connections, 0);
      });
    });
  });
});
