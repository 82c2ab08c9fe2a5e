// The fetch our atproto client uses for everything derived from user input (catalogue SS). Only
// loopback addresses appear here: a guard that failed would connect to this machine, and the
// listener on :443 counts it.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { hardenedFetch } from '../../src/net/hardened-fetch.ts';

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
    for (const url of ['https://127.0.0.1/', 'https://2130706433/', 'https://0x7f000001/', 'https://127.1/', 'https://0177.0.0.1/', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://0.0.0.0/', 'https://localhost/']) {
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
});
