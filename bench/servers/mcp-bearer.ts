// "bearer" for bench/mcp.ts: the real platform and its real MCP endpoint ({wikiBase}/mcp, behind
// the whole web app), plus a valid OAuth access token for it, backed by a real grant exactly as the
// token endpoint issues one (as test/helpers/mcp.ts `accessTokenFor` does).
import { mintAccessToken } from '../../src/authserver/tokens.ts';
import { wikiUrls } from '../../src/wiki/urls.ts';
import { startMcpPlatform } from './mcp-fixture.ts';
import { USER } from './platform.ts';
import { serveDriver, type McpReady } from './protocol.ts';

const { running, deps, wiki, close } = await startMcpPlatform();

const scope = 'wiki:read wiki:write';
const grant = await deps.grants.approve({ wikiId: wiki.id, clientId: 'bench-client', userDid: USER.did, scope }, deps.now());
const urls = wikiUrls(deps.config, wiki.slug);
const { token } = await mintAccessToken(
  deps.platformKeys,
  { issuer: urls.issuer, audience: urls.mcp, subject: USER.did, clientId: grant.client_id, scope, wikiId: wiki.id, grantId: grant.id },
  deps.config.accessTokenTtlSeconds,
  deps.now(),
);

serveDriver<McpReady>({ type: 'ready', origin: running.url, mcpPath: new URL(urls.mcp).pathname, token }, close);
