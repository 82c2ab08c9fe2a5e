// The one fetch for URLs that come from outside (handles, DID documents, account servers, client
// metadata documents): https only, public unicast addresses checked at connect time, 512 KiB, 10 s
// (catalogue SS-01..06). The insecure switch (local test networks) lifts the address and scheme
// rules but keeps the size and time limits.
//
// Assembled from @atproto-labs/fetch-node's parts exactly as its safeFetchWrap does, with one
// difference: the connect-time DNS guard resolves through a `lookup` we choose (the system resolver in
// production; a table in tests, so that no test sends a DNS query). safeFetchWrap fixes it to dns.lookup.
import type { LookupFunction } from 'node:net';
import {
  asRequest,
  checkForbiddenDomainNamePolicy,
  checkProtocolPolicy,
  checkUnicastPolicy,
  DEFAULT_FORBIDDEN_DOMAIN_NAMES,
  fetchMaxSizeProcessor,
  forbiddenDomainNameRequestTransform,
  protocolCheckRequestTransform,
  safeDispatchFetchWrap,
  timedFetch,
} from '@atproto-labs/fetch-node';
import { publicAddressLookup, systemResolver } from './resolver.ts';

export interface HardenedFetchOptions {
  /** Resolves host names for every connection (dns.lookup's contract); see resolver.ts. */
  lookup?: LookupFunction;
  timeoutMs?: number;
  maxBytes?: number;
}

export function hardenedFetch(allowInsecure: boolean, options: HardenedFetchOptions = {}): typeof globalThis.fetch {
  const { lookup = systemResolver.lookup, timeoutMs = 10_000, maxBytes = 512 * 1024 } = options;
  // SS-04: https on its default port only; no file:, data: or about:.
  const protocols = {
    'about:': false,
    'data:': false,
    'file:': false,
    'http:': allowInsecure && { allowCustomPort: true },
    'https:': { allowCustomPort: allowInsecure },
  } as const;
  const forbiddenNames = new Set(DEFAULT_FORBIDDEN_DOMAIN_NAMES);
  // The URL policy, applied by the dispatcher to every hop of a redirect chain (SS-03). Literal IP
  // hosts are checked here: Node never resolves them, so the lookup below does not see them.
  const checkUrl = (url: URL) =>
    checkProtocolPolicy(url, protocols) ?? checkForbiddenDomainNamePolicy(url, forbiddenNames) ?? (allowInsecure ? undefined : checkUnicastPolicy(url));
  // SS-01, SS-02: the lookup the connection itself dials with refuses non-public answers, so the
  // address checked is the address dialled; there is no separate pre-check to rebind around.
  const dispatch = safeDispatchFetchWrap({ checkUrl, lookup: allowInsecure ? lookup : publicAddressLookup(lookup) });
  // Callers set `redirect` explicitly where a redirect must fail (metadata documents); elsewhere
  // redirects are followed and every hop is re-checked by the dispatcher.
  const timed = timedFetch(timeoutMs, dispatch);
  const checkProtocol = protocolCheckRequestTransform(protocols);
  const checkName = forbiddenDomainNameRequestTransform(DEFAULT_FORBIDDEN_DOMAIN_NAMES);
  const limitSize = fetchMaxSizeProcessor(maxBytes);
  // The first URL is also checked before dispatch, so its refusal carries the caller's request.
  return async (input, init) => {
    const request = await checkName(checkProtocol(asRequest(input, init)));
    return limitSize(await timed(request));
  };
}
