// A real atproto network on loopback: PLC directory + PDS with its OAuth provider, from
// @atproto/dev-env. Nothing here reaches beyond 127.0.0.1 / localhost.
import { TestNetworkNoAppView } from '@atproto/dev-env';

export interface TestAccount {
  did: string;
  handle: string;
  password: string;
}

export interface TestNetwork {
  pdsUrl: string;
  plcUrl: string;
  accounts: Record<'alice' | 'bob', TestAccount>;
  close(): Promise<void>;
}

// Services the PDS would otherwise proxy to: pointed at a closed loopback port so nothing is
// looked up or contacted outside this machine.
const NOWHERE = 'http://localhost:9';

export async function startTestNetwork(): Promise<TestNetwork> {
  const network = await TestNetworkNoAppView.create({
    pds: { bskyAppViewUrl: NOWHERE, modServiceUrl: NOWHERE },
  });
  const seed = network.getSeedClient();
  const accounts = {} as TestNetwork['accounts'];
  for (const name of ['alice', 'bob'] as const) {
    const password = `${name}-password-${Math.random().toString(36).slice(2)}`;
    const account = await seed.createAccount(name, { handle: `${name}.test`, email: `${name}@example.com`, password });
    accounts[name] = { did: account.did, handle: `${name}.test`, password };
  }
  return {
    pdsUrl: network.pds.url,
    plcUrl: network.plc.url,
    accounts,
    close: () => network.close(),
  };
}
