// "no auth" for bench/mcp.ts: the wiki's MCP route on a bare app, without any authentication (mcp-bare.ts).
import { serveBareMcp } from './mcp-bare.ts';

await serveBareMcp({ authenticate: false });
