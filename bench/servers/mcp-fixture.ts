// What both MCP benchmark servers share: our platform (bench/servers/platform.ts) with the one page
// bench/mcp.ts reads, written through the wiki's own page service, so both serve the same data.
import { PAGE_CONTENT, PAGE_PATH } from './mcp-page.ts';
import { startPlatform, USER, type BenchPlatform } from './platform.ts';

export async function startMcpPlatform(): Promise<BenchPlatform> {
  const platform = await startPlatform();
  await platform.deps.pages.write(platform.wiki.id, USER.did, { path: PAGE_PATH, content: PAGE_CONTENT });
  return platform;
}
