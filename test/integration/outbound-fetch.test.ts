// The fetch our atproto client uses for everything derived from user input (catalogue SS). Only
// loopback addresses appear here: a guard that failed would connect to this machine, and the
// listener on :443 counts it.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
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
});
