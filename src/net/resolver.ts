// How outbound requests find addresses. Production uses the system resolver; tests hand the platform
// a table instead (PlatformOptions.resolver), so no test sends a DNS query beyond this machine.
import dns, { type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isUnicastIpHostname } from '@atproto-labs/fetch-node';

export interface Resolver {
  /** dns.lookup's contract; every outbound connection dials what this answers (hardened-fetch.ts). */
  lookup: LookupFunction;
  /** The TXT records of a name, each with its chunks joined; null when there are none (`_atproto.{handle}`). */
  resolveTxt: (hostname: string) => Promise<string[] | null>;
}

export const systemResolver: Resolver = {
  lookup: dns.lookup as LookupFunction,
  // As @atproto-labs/handle-resolver-node does: a name without records, or a failed query, is "no answer".
  resolveTxt: (hostname) =>
    dns.promises.resolveTxt(hostname).then(
      (records) => records.map((chunks) => chunks.join('')),
      () => null,
    ),
};

/**
 * Names that are never public (RFC 6761 §6, RFC 6762 §3, RFC 2606 §2): refused without a query,
 * as @atproto-labs/fetch-node's unicastLookup does.
 */
function isLocalName(hostname: string): boolean {
  const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
  return labels.length < 2 || ['test', 'local', 'localhost', 'invalid', 'example'].includes(labels.at(-1)!);
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, any spelling) as the IPv4 address it carries. */
function unmapped(address: string): string {
  const canonical = URL.canParse(`http://[${address}]`) ? new URL(`http://[${address}]`).hostname : '';
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(canonical);
  if (!mapped) return address;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Public unicast only: not loopback, private, link-local, CGNAT, ULA, multicast, reserved, … (ipaddr.js ranges). */
export function isPublicAddress(address: string): boolean {
  const ip = unmapped(address);
  try {
    return isUnicastIpHostname(ip.includes(':') ? `[${ip}]` : ip) === true;
  } catch {
    return false;
  }
}

/**
 * A lookup that answers only when every address is public (catalogue SS-01: each A/AAAA answer is
 * checked, one private answer refuses the name). Given to the connection as its lookup, it judges
 * exactly the addresses that will be dialled (SS-02), whatever an earlier lookup said.
 */
export function publicAddressLookup(resolve: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    if (isLocalName(hostname)) {
      callback(new Error('Hostname is not a public domain'), '', 4);
      return;
    }
    resolve(hostname, options, (error, address, family) => {
      if (error) return callback(error, address, family);
      const answers: LookupAddress[] = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
      if (answers.length === 0 || !answers.every((answer) => isPublicAddress(answer.address))) {
        return callback(new Error('Hostname resolved to non-unicast address'), '', 4);
      }
      callback(null, address, family);
    });
  };
}
