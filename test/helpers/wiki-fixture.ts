// A platform with one person (carol, signed up through the scriptable fake AS and logged in in
// `carol`) who owns one wiki, `notes`: the starting point of every authorization-server test.
import { CAROL_DID, FakeAtproto } from './fake-atproto.ts';
import { TestClient } from './http-client.ts';
import { signUp } from './login-flow.ts';
import { startTestPlatform, type TestPlatform } from './platform.ts';
import type { PlatformOptions } from '../../src/main.ts';

export interface WikiFixture {
  fake: FakeAtproto;
  platform: TestPlatform;
  carol: TestClient;
  /** The issuer (and base URL) of the `notes` wiki. */
  issuer: string;
  close(): Promise<void>;
}

export async function startWikiFixture(env: Record<string, string> = {}, options: PlatformOptions = {}): Promise<WikiFixture> {
  const fake = await FakeAtproto.start();
  const platform = await startTestPlatform(
    { ATPROTO_PLC_URL: fake.url, ATPROTO_HANDLE_RESOLVER: fake.url, DANGEROUSLY_ALLOW_INSECURE_ATPROTO: '1', ...env },
    options,
  );
  const carol = new TestClient(platform.platform.app, platform.config.publicUrl);
  await signUp(carol, fake, 'carol');
  await platform.platform.deps.wikis.create({ slug: 'notes', ownerDid: CAROL_DID, displayName: 'Carol’s notes' }, 1);
  return {
    fake,
    platform,
    carol,
    issuer: `${platform.config.publicUrl}/w/notes`,
    async close() {
      await platform.close();
      await fake.close();
    },
  };
}
