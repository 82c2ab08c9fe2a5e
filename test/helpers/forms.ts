// Reading and sending our pages' forms the way a browser does: GET the page, take its CSRF value, POST.
import type { TestClient } from './http-client.ts';

export const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

export async function page(client: TestClient, path: string): Promise<{ status: number; html: string; location: string | null }> {
  const response = await client.request(path);
  return { status: response.status, html: await response.text(), location: response.headers.get('location') };
}

/** POSTs `form` to `path` with the CSRF value of the page at `from`, as that page's form would. */
export async function postFrom(client: TestClient, from: string, path: string, form: Record<string, string>): Promise<{ status: number; html: string }> {
  const response = await client.form(path, { csrf: csrfOf((await page(client, from)).html), ...form });
  return { status: response.status, html: await response.text() };
}

const LIST_TOOLS = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

/** The status (and JSON error, if any) a wiki's MCP endpoint answers `tools/list` with this bearer token. */
export async function mcpAnswer(client: TestClient, mcpPath: string, token: string): Promise<{ status: number; error?: string }> {
  const response = await client.request(mcpPath, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: LIST_TOOLS,
  });
  const body = response.headers.get('content-type')?.startsWith('application/json') ? await response.json() : undefined;
  return { status: response.status, error: body?.error };
}
