// We are an atproto OAuth CLIENT. This module builds @atproto/oauth-client-node for our two modes
// (./metadata.ts); src/main.ts loads it at the first login, not at startup, since the library is
// large (docs/benchmarks.md, "Idle memory").
import { AtprotoHandleResolver, JoseKey, NodeOAuthClient } from '@atproto/oauth-client-node';
import type { JWK } from 'jose';
import type { Config } from '../config/config.ts';
import { hardenedFetch } from '../net/hardened-fetch.ts';
import { systemResolver, type Resolver } from '../net/resolver.ts';
import type { DatabaseHandle } from '../store/database.ts';
import { clientMetadata } from './metadata.ts';
import { atprotoRequestLock, atprotoSessionStore, atprotoStateStore } from '../store/atproto-oauth.ts';

export async function createAtprotoClient(
  config: Config,
  database: DatabaseHandle,
  clientKey: (JWK & { kid: string }) | undefined,
  now: () => number,
  resolver: Resolver = systemResolver,
): Promise<NodeOAuthClient> {
  const fetch = hardenedFetch(config.atproto.allowInsecure, { lookup: resolver.lookup });
  return new NodeOAuthClient({
    clientMetadata: clientMetadata(config, clientKey),
    keyset: clientKey ? [await JoseKey.fromImportable(clientKey as never, clientKey.kid)] : undefined,
    stateStore: atprotoStateStore(database.db, now),
    sessionStore: atprotoSessionStore(database.db, now),
    requestLock: atprotoRequestLock(database.db, database.dialect),
    fetch,
    allowHttp: config.atproto.allowInsecure,
    plcDirectoryUrl: config.atproto.plcDirectoryUrl,
    handleResolver: config.atproto.handleResolver ?? handleResolver(resolver),
  });
}

/**
 * DNS TXT `_atproto.{handle}`, then `https://{handle}/.well-known/atproto-did`: what the library's
 * AtprotoHandleResolverNode does (address rules always on, 3 s, small body), with our resolver.
 */
function handleResolver(resolver: Resolver): AtprotoHandleResolver {
  const fetch = hardenedFetch(false, { lookup: resolver.lookup, timeoutMs: 3_000, maxBytes: 10 * 1024 });
  return new AtprotoHandleResolver({ fetch, resolveTxt: resolver.resolveTxt });
}
