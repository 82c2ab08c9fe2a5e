// What the SSRF tests resolve and what they would dial, without DNS and without dialling anything
// beyond this machine. The resolver is a table handed to the platform (PlatformOptions.resolver); the
// dial guard sits where Node's net module hands an address to the kernel (TCP connect), records every
// attempt, and refuses any to a non-loopback address before it is made, so a test of a guard that
// failed can never send a packet to a private or public address.
import { constants } from 'node:os';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Resolver } from '../../src/net/resolver.ts';

/** Each name's answers, one list per successive lookup; the last list repeats (TTL 0: every lookup asks again). */
export type ResolverTable = Record<string, string[] | string[][]>;

export interface TableResolver extends Resolver {
  /** Every lookup, in order, with the options the caller (the socket) passed. */
  lookups: Array<{ hostname: string; options: LookupOptions }>;
  txtLookups: string[];
}

export function tableResolver(table: ResolverTable, txt: Record<string, string[]> = {}): TableResolver {
  const lookups: TableResolver['lookups'] = [];
  const txtLookups: string[] = [];
  const lookup = ((
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    const asked = lookups.filter((entry) => entry.hostname === hostname).length;
    lookups.push({ hostname, options });
    const entry = table[hostname];
    const rounds = entry === undefined ? [] : typeof entry[0] === 'string' ? [entry as string[]] : (entry as string[][]);
    const addresses = rounds[Math.min(asked, rounds.length - 1)] ?? [];
    const answers = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    setImmediate(() => {
      const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      if (answers.length === 0) callback(notFound, '', 4);
      else if (options.all) callback(null, answers);
      else callback(null, answers[0]!.address, answers[0]!.family);
    });
  }) as LookupFunction;
  return {
    lookup,
    lookups,
    txtLookups,
    async resolveTxt(hostname) {
      txtLookups.push(hostname);
      return txt[hostname] ?? null;
    },
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/i;

export interface DialGuard {
  /** `address:port` of every TCP connection the process tried to open while installed. */
  attempts: string[];
  /** Attempts to this port since attempt number `from` (the process's other loopback traffic is not the test's). */
  attemptsTo(port: number, from?: number): string[];
  release(): void;
}

/** Installs the guard for the whole process until `release()`. */
export function guardDials(): DialGuard {
  // process.binding is deprecated, but it is the only place every TCP connect passes through with
  // the final address, after any lookup: net's internalConnect calls handle.connect(req, address, port).
  const { TCP } = (process as unknown as { binding(name: string): { TCP: { prototype: Record<string, unknown> } } }).binding('tcp_wrap');
  const attempts: string[] = [];
  const originals = new Map<string, unknown>();
  for (const method of ['connect', 'connect6']) {
    const original = TCP.prototype[method] as (this: unknown, req: unknown, address: string, port: number) => number;
    originals.set(method, original);
    TCP.prototype[method] = function (this: unknown, req: unknown, address: string, port: number) {
      attempts.push(`${address}:${port}`);
      // libuv's error convention: a negative errno; net turns it into a socket error.
      if (!LOOPBACK.test(address)) return -constants.errno.ECONNREFUSED;
      return original.call(this, req, address, port);
    };
  }
  return {
    attempts,
    attemptsTo: (port, from = 0) => attempts.slice(from).filter((attempt) => attempt.endsWith(`:${port}`)),
    release() {
      for (const [method, original] of originals) TCP.prototype[method] = original;
    },
  };
}
