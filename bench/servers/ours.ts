// Our server for bench/authserver.ts: the platform (bench/servers/platform.ts) plus a logged-in user,
// a platform session minted like a real sign-in would, so the benchmark needs no atproto network.
import { SESSION_COOKIE } from '../../src/http/cookies.ts';
import { startPlatform, USER } from './platform.ts';
import { serveDriver, type Ready } from './protocol.ts';

const { config, running, deps, base, close } = await startPlatform();
const { token } = await deps.sessions.mint(USER, deps.now());

serveDriver<Ready>(
  {
    type: 'ready',
    origin: running.url,
    issuer: `${config.publicUrl}${base}`,
    resource: `${config.publicUrl}${base}/mcp`,
    cookie: `${SESSION_COOKIE}=${token}`,
  },
  close,
);
