// "token only" for bench/mcp.ts: the wiki's MCP route on a bare app, behind the platform's bearer verification alone (mcp-bare.ts).
import { serveBareMcp } from './mcp-bare.ts';

await serveBareMcp({ authenticate: true });
