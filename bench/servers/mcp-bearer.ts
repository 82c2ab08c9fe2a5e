// "bearer" for bench/mcp.ts: the real platform and its real MCP endpoint ({wikiBase}/mcp, behind
// the whole web app), plus a valid OAuth access token for it, backed by a real grant exactly as the
// token endpoint issues one (test/helpers/mcp.ts `accessTokenFor`, which the tests use too).
import { wikiUrls } from '../../src/wiki/urls.ts';
import { accessTokenFor } from '../../test/helpers/mcp.ts';
import { startMcpPlatform } from './mcp-fixture.ts';
import { USER } from './platform.ts';
import { serveDriver, type McpReady } from './protocol.ts';

const { running, deps, wiki, close } = await startMcpPlatform();

const { token } = await accessTokenFor(running.platform, wiki, USER.did);
const urls = wikiUrls(deps.config, wiki.slug);

serveDriver<McpReady>({ type: 'ready', origin: running.url, mcpPath: new URL(urls.mcp).pathname, token }, close);
