// https on loopback for tests: a throwaway self-signed certificate made with openssl at test time,
// and trust in it for this test process only.
//
// Trust goes into Node's default CA list rather than into a fetch of our own making: the hardened
// fetch (@atproto-labs/fetch-node) always dispatches through its own guarded undici Agent and
// refuses a caller's dispatcher, so CA options cannot be handed to it. Extending the default list
// keeps the production fetch, with its limits and guards, exactly as it is.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface LoopbackCertificate {
  key: string;
  cert: string;
}

/** A P-256 key and a one-day certificate for 127.0.0.1 and localhost. */
export function loopbackCertificate(): LoopbackCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'robot-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds the certificate to the CAs this process's TLS clients trust; returns the undo. */
export function trustInThisProcess(cert: string): () => void {
  const previous = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...previous, cert]);
  return () => tls.setDefaultCACertificates(previous);
}

export interface LoopbackHttps {
  server: Server;
  /** The origin, https://127.0.0.1:port. */
  url: string;
  close(): Promise<void>;
}

/** An https server on 127.0.0.1 (a free port) with that certificate. */
export async function startLoopbackHttps(certificate: LoopbackCertificate, handler: RequestListener): Promise<LoopbackHttps> {
  const server = createServer({ key: certificate.key, cert: certificate.cert }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The platform's fetch keeps connections alive; close() alone would wait for them.
      server.closeAllConnections();
      return closed;
    },
  };
}
