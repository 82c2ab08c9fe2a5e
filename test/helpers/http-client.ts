// A tiny browser stand-in: keeps cookies between calls and never follows redirects, so tests see
// every 30x and Set-Cookie. In process (a Hono app) or over real HTTP (a base URL).
import type { Hono } from 'hono';

export class TestClient {
  readonly cookies = new Map<string, string>();
  /** In process, each client is its own peer address (a documentation-range IP, never contacted). */
  readonly address = `198.51.100.${Math.floor(Math.random() * 254) + 1}`;
  private readonly send: (url: string, init: RequestInit) => Promise<Response>;

  /** `target`: the app to call in process, or the http:// address a server listens on. */
  constructor(
    target: Hono | string,
    readonly origin: string,
  ) {
    this.send =
      typeof target === 'string'
        ? (url, init) => fetch(url.replace(origin, target), { ...init, redirect: 'manual' })
        : (url, init) => Promise.resolve(target.request(url, init, { incoming: { socket: { remoteAddress: this.address } } }));
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
  return { body, pulled: () => sent };
}
