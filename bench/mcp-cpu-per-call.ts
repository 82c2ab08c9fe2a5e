// Server CPU per authenticated `read_note` call, in process (the platform's `app.request`, no
// sockets, no second process): 500 warm-up calls, then 7 × 400 sequential calls timed with
// `process.cpuUsage`; prints the median. Unlike `npm run bench:mcp` it needs no idle core, so it
// still says something on a machine busy with other work, and it can time another checkout of this
// repository (its own bench/ and test/helpers/ are used), which is how docs/benchmarks.md compares the
// endpoint before and after issue 14:
//
//   node --import tsx bench/mcp-cpu-per-call.ts [checkout root, default .] [2025 | 2026]
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? '.');
const modern = process.argv[3] === '2026';
const { startMcpPlatform } = await import(path.join(root, 'bench/servers/mcp-fixture.ts'));
const { accessTokenFor } = await import(path.join(root, 'test/helpers/mcp.ts'));
const { USER } = await import(path.join(root, 'bench/servers/platform.ts'));
const { PAGE_PATH } = await import(path.join(root, 'bench/servers/mcp-page.ts'));

const platform = await startMcpPlatform();
const { token } = await accessTokenFor(platform.running.platform, platform.wiki, USER.did);
const url = `${platform.config.publicUrl}${platform.base}/mcp`;
const params = { name: 'read_note', arguments: { path: PAGE_PATH } };
// On 2026-07-28 the revision, client info and capabilities travel in each request's `_meta`.
const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const headers: Record<string, string> = {
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': modern ? '2026-07-28' : '2025-11-25',
  ...(modern ? { 'mcp-method': 'tools/call', 'mcp-name': 'read_note' } : {}),
};

async function call(id: number): Promise<void> {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: modern ? { ...params, _meta: meta } : params });
  const response = await platform.running.platform.app.request(url, { method: 'POST', headers, body });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('"revision')) throw new Error(`read_note failed: ${response.status} ${text.slice(0, 200)}`);
}

for (let id = 0; id < 500; id++) await call(id);
const perCall: number[] = [];
for (let round = 0; round < 7; round++) {
  const start = process.cpuUsage();
  for (let id = 0; id < 400; id++) await call(id);
  const used = process.cpuUsage(start);
  perCall.push((used.user + used.system) / 400);
}
perCall.sort((a, b) => a - b);
console.log(
  `${root} ${modern ? '2026-07-28' : '2025-11-25'}: ${Math.round(perCall[3]!)} µs CPU per call (median; rounds ${perCall.map(Math.round).join(', ')})`,
);
await platform.close();
