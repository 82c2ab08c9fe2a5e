// Who the client is (catalogue IN-07). The TCP peer, unless the peer is a reverse proxy named in
// TRUSTED_PROXIES: then the address X-Forwarded-For names, read from the right through trusted hops only.
//
// X-Forwarded-For is the de-facto header RFC 7239 §1 describes (its `Forwarded` successor is not read
// here; Caddy, nginx and cloud load balancers send X-Forwarded-For). Each proxy appends the address it
// received the request from (Caddy instead replaces the header of a client it does not trust), so only
// entries right of the first untrusted one were written by proxies we trust. That untrusted entry is
// the client; everything left of it came from the client itself and is not believed.
import { SocketAddress, isIP, type BlockList } from 'node:net';

/** The address of a request whose peer is not known (no socket, as in in-process tests). */
const UNKNOWN_ADDRESS = 'unknown';

/** An IP address in one spelling (RFC 5952 for IPv6, IPv4-mapped IPv6 as IPv4); undefined if not one. */
function canonicalAddress(value: string): string | undefined {
  const family = isIP(value);
  if (!family) return undefined;
  // SocketAddress normalises through the OS parser: case, zero groups, embedded IPv4, zone ids dropped.
  const { address } = new SocketAddress({ address: value, family: family === 4 ? 'ipv4' : 'ipv6' });
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): one client, one name.
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}

/** An X-Forwarded-For entry: an address, `[IPv6]`, `[IPv6]:port` or `IPv4:port` (some balancers add ports). */
function hopAddress(entry: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed) return canonicalAddress(bracketed[1]!);
  return canonicalAddress(/^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry)?.[1] ?? entry);
}

const isTrusted = (address: string, trusted: BlockList) => trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

/**
 * The client's address: the peer's, or when the peer is trusted, the rightmost X-Forwarded-For entry that
 * is not (the leftmost if all are). An entry that is no address ends the walk at the hop that wrote it.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | readonly string[] | undefined, trusted: BlockList): string {
  let client = peer === undefined ? undefined : canonicalAddress(peer);
  if (client === undefined) return UNKNOWN_ADDRESS;
  if (!isTrusted(client, trusted) || forwardedFor === undefined) return client;
  // Repeated header lines are one comma-separated list, in order (RFC 9110 §5.3).
  const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const entry = hops[i]!.trim();
    if (!entry) continue;
    const hop = hopAddress(entry);
    if (hop === undefined) break;
    client = hop;
    if (!isTrusted(hop, trusted)) break;
  }
  return client;
}

/**
 * The bucket a rate limit counts an address in. IPv4: the address. IPv6: its /64, because a host holds
 * a whole /64 (RFC 4291 §2.5.1: the low 64 bits are the interface id, and RFC 8981 temporary addresses
 * rotate through them), so counting per address would hand one host a fresh budget per request.
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const groups = head ? head.split(':') : [];
  if (tail !== undefined) {
    const tailGroups = tail ? tail.split(':') : [];
    // An embedded dotted IPv4 (only ever at the end) fills two groups.
    const filled = 8 - groups.length - tailGroups.length - (tail.includes('.') ? 1 : 0);
    groups.push(...Array<string>(filled).fill('0'), ...tailGroups);
  }
  return `${new SocketAddress({ address: `${groups.slice(0, 4).join(':')}::`, family: 'ipv6' }).address}/64`;
}
