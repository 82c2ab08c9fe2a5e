// The atproto OAuth client, loaded at its first use: @atproto/oauth-client-node and what it pulls in
// (identity resolution, three undici versions) are ≈ 40 MB of an idle server's memory that only a
// login needs (docs/benchmarks.md, "Idle memory"). The checks of its configuration still run at
// startup (./metadata.ts `assertValidClientMetadata`, the key store).
import { lazily } from '../lazy.ts';
import type { AtprotoClientPort } from './login.ts';

export function lazyAtprotoClient(load: () => Promise<AtprotoClientPort>): AtprotoClientPort {
  const client = lazily(load);
  return {
    authorize: async (input, options) => (await client()).authorize(input, options),
    callback: async (params) => (await client()).callback(params),
    revoke: async (did) => (await client()).revoke(did),
    identityResolver: { resolve: async (input) => (await client()).identityResolver.resolve(input) },
    oauthResolver: { resolve: async (input) => (await client()).oauthResolver.resolve(input) },
  };
}
