// The one fetch for URLs that come from outside (handles, DID documents, account servers, client
// metadata documents): https only, public unicast addresses checked at connect time, 512 KiB, 10 s
// (catalogue SS-01..06). The insecure switch (local test networks) lifts the address and scheme
// rules but keeps the size and time limits.
import { safeFetchWrap } from '@atproto-labs/fetch-node';

export function hardenedFetch(allowInsecure: boolean): typeof globalThis.fetch {
  return safeFetchWrap({
    ssrfProtection: !allowInsecure,
    responseMaxSize: 512 * 1024,
    timeout: 10_000,
    // Callers set `redirect` explicitly where a redirect must fail (metadata documents); elsewhere
    // redirects are followed and every hop is re-checked by the dispatcher guard.
    allowImplicitRedirect: true,
  }) as typeof globalThis.fetch;
}
