// A tiny browser stand-in: keeps cookies between calls and never follows redirects, so tests see
// every 30x and Set-Cookie. In process (a Hono app) or over real HTTP (a base URL).
import http from 'node:http';
import type { Hono } from 'hono';

/**
 * fetch over real HTTP from a chosen source address, never following redirects. Linux routes the whole
 * of 127.0.0.0/8 to loopback, so one machine plays many clients as a server or a proxy sees them.
 */
export function fetchFrom(localAddress: string, url: string, init: RequestInit = {}): Promise<Response> {
  if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') {
    throw new TypeError('fetchFrom sends string bodies only');
  }
  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(new Headers(init.headers));
    // No agent: every request is its own connection from `localAddress`.
    const options = { method: init.method ?? 'GET', headers, localAddress, agent: false };
    const request = http.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const received = new Headers();
        const raw = response.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) received.append(raw[i]!, raw[i + 1]!);
        const status = response.statusCode!;
        const body = [204, 304].includes(status) ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status, headers: received }));
      });
    });
    request.on('error', reject);
    request.end(init.body ?? undefined);
  });
}

export class TestClient {
  readonly cookies = new Map<string, string>();
  /** The client's address: in process a random documentation-range IP (never contacted) unless given. */
  readonly address: string;
  private readonly send: (url: string, init: RequestInit) => Promise<Response>;

  /**
   * `target`: the app to call in process, the http:// address a server listens on, or a fetch. `from`: the
   * client's address, as the peer address in process or the local (source) address over HTTP.
   */
  constructor(
    target: Hono | string | typeof fetch,
    readonly origin: string,
    from?: string,
  ) {
    this.address = from ?? `198.51.100.${Math.floor(Math.random() * 254) + 1}`;
    if (typeof target === 'function') {
      // A fetch of the test's own (through a TLS proxy, say) that reaches `origin` itself.
      this.send = (url, init) => target(url, { ...init, redirect: 'manual' });
    } else if (typeof target !== 'string') {
      const env = { incoming: { socket: { remoteAddress: this.address } } };
      this.send = (url, init) => Promise.resolve(target.request(url, init, env));
    } else if (from) {
      this.send = (url, init) => fetchFrom(from, url.replace(origin, target), init);
    } else {
      this.send = (url, init) => fetch(url.replace(origin, target), { ...init, redirect: 'manual' });
    }
  }

  async request(path: string, init: RequestInit & { form?: Record<string, string> } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size && !headers.has('cookie')) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers.set('content-type', 'application/x-www-form-urlencoded');
      if (!headers.has('origin')) headers.set('origin', this.origin);
    }
    const url = path.startsWith('http') ? path : `${this.origin}${path}`;
    const response = await this.send(url, { ...init, headers, body, method: init.method ?? (init.form ? 'POST' : 'GET') });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      const expired = attributes.some((a) => /^\s*max-age=0$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    return response;
  }

  form(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response> {
    return this.request(path, { form, headers });
  }
}

export interface StreamedBody {
  body: ReadableStream<Uint8Array>;
  pulled: () => number;
  /** A POST carrying this body; fetch needs `duplex: 'half'` to send a stream. */
  post: (headers: Record<string, string>) => RequestInit;
}

/**
 * A request body sent without Content-Length (as chunked transfer encoding would be): `prefix`, then
 * filler, up to `totalBytes`. `pulled()` says how much of it the server has read, so a test can tell
 * a server that stops at its cap from one that buffers everything and only then refuses.
 */
export function streamedBody(prefix: string, totalBytes: number, chunkBytes = 16 * 1024): StreamedBody {
  let sent = 0;
  const first = Buffer.from(prefix);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const chunk = sent === 0 ? first : Buffer.alloc(Math.min(chunkBytes, totalBytes - sent), 'x');
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const post = (headers: Record<string, string>) => ({ method: 'POST', body, headers, duplex: 'half' }) as RequestInit;
  return { body, pulled: () => sent, post };
}
