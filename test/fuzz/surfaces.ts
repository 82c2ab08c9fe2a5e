// The entry points under fuzz, each an input arbitrary and a sender: HTTP routes (as the apps register
// them), forms (as our pages render them), MCP tools (as the endpoint lists them) and the RPC methods.
import { request as httpRequest } from 'node:http';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { wikiHostRoutes } from '../../src/authserver/routes.ts';
import { AuthService } from '../../src/rpc/gen/robot/auth/v1/auth_pb.ts';
import type { AppDeps } from '../../src/web/deps.ts';
import { TestClient } from '../helpers/http-client.ts';
import type { FuzzTarget, Outcome } from './harness.ts';
import { contentType, encodedPairs, encodedPiece, hostileBody, hostileJson, hostileString, percentEncode, plausibleText } from './hostile.ts';

const FORM_NAMES = `csrf handle return_to username slug display_name name access account role did confirm
  anonymous_read decision request_id grant_type code code_verifier redirect_uri client_id client_secret refresh_token
  resource scope token token_type_hint`.split(/\s+/);
const QUERY_NAMES = `return_to client_id redirect_uri response_type state code_challenge code_challenge_method scope resource
  revision code iss error access_token prompt`.split(/\s+/);

// ---- HTTP routes ----

interface Route {
  method: string;
  path: string;
}

/** Every endpoint the app registers: middleware takes (c, next), endpoints take (c) alone. */
export function endpoints(app: Hono): Route[] {
  const routes = new Map<string, Route>();
  for (const { method, path, handler } of app.routes) {
    if (method !== 'ALL' && handler.length < 2) routes.set(`${method} ${path}`, { method, path });
  }
  return [...routes.values()];
}

/** Host mode: every endpoint of a wiki host's own app (its site at the root and the root well-knowns). */
export const wikiHostEndpoints = (deps: AppDeps): Route[] => endpoints(wikiHostRoutes(deps)!);

/** Path parameters: a value that exists (to get past the lookup) or anything at all. */
const PARAMS: Record<string, fc.Arbitrary<string>> = {
  slug: fc.oneof({ weight: 4, arbitrary: fc.constant('notes') }, fc.constant('zz-none'), encodedPiece),
  file: fc.oneof(fc.constant('app.css'), encodedPiece),
  '*': fc.oneof(
    fc.constantFrom('Home', 'Projects/Robot%20Arm'),
    fc.array(encodedPiece, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
  ),
};

const pathOf = (template: string) =>
  fc
    .tuple(...template.split('/').map((part) => (/^[:*]/.test(part) ? (PARAMS[part.replace(/^:/, '')] ?? encodedPiece) : fc.constant(part))))
    .map((parts) => parts.join('/'));

/** One hostile request to one of `routes`: path, query, credentials, body and headers all chosen. */
export const httpRequests = (routes: Route[]) =>
  fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      path: pathOf(route.path),
      query: fc.oneof(fc.constant(''), encodedPairs(QUERY_NAMES)),
      who: fc.constantFrom('anonymous', 'signed in', 'bearer', 'bad bearer'),
      csrf: fc.boolean(),
      contentType,
      body: hostileBody(FORM_NAMES),
      accept: fc.constantFrom(undefined, 'text/html', 'application/json', 'application/json, text/event-stream'),
      origin: fc.constantFrom('own', 'other', 'none'),
    }),
  );

type HttpRequest = ReturnType<typeof httpRequests> extends fc.Arbitrary<infer T> ? T : never;

export async function sendHttp(target: FuzzTarget, origin: string, request: HttpRequest): Promise<void> {
  const { route, path, query, who, body } = request;
  const { token } = await target.wiki();
  const session = who === 'signed in' ? await target.signedIn() : undefined;
  const headers: Record<string, string> = {};
  if (session) headers.cookie = session.cookie;
  if (who.endsWith('bearer')) headers.authorization = `Bearer ${who === 'bearer' ? token : `${token.slice(0, -2)}xx`}`;
  if (request.contentType) headers['content-type'] = request.contentType;
  if (request.accept) headers.accept = request.accept;
  if (request.origin !== 'none') headers.origin = request.origin === 'own' ? target.fixture.platform.config.publicUrl : 'https://evil.example';
  const hasBody = route.method !== 'GET' && route.method !== 'HEAD';
  const url = `${origin}${path}${query ? `?${query}` : ''}`;
  const sent = `${who}, ${request.contentType || 'no type'}, body ${hasBody ? body.length : 0} chars`;
  await target.observe(`${route.method} ${url.slice(0, 300)} (${sent})`, async () => {
    const form = session && request.csrf ? `csrf=${session.csrf}&${body}` : body;
    const client = new TestClient(target.app, origin);
    const response = await client.request(url, { method: route.method, headers, body: hasBody ? form : undefined });
    const text = await response.text();
    return { status: response.status, refused: response.status >= 400, detail: text.slice(0, 300) };
  });
}

// ---- Forms, as our pages render them ----

/** Pages with forms, as carol sees them: the dashboard, a wiki's settings, a consent page. */
const FORM_PAGES: Array<(target: FuzzTarget) => Promise<string>> = [async () => '/app/', async () => '/app/wikis/notes', (target) => target.consentPath()];

const attribute = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
const unescapeHtml = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Each form's action and fields: hidden ones with their value, the fields a person fills in without. */
function formsOf(html: string): Array<{ action: string; hidden: string[]; fields: string[] }> {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].flatMap(([, form, inner]) => {
    const action = attribute(form!, 'action');
    if (attribute(form!, 'method') !== 'post' || !action) return [];
    const tags = inner!.match(/<(input|select|textarea|button)\b[^>]*>/g) ?? [];
    const named = tags.filter((tag) => attribute(tag, 'name') !== undefined);
    const hidden = named.filter((tag) => attribute(tag, 'type') === 'hidden');
    const encoded = (tag: string) => `${attribute(tag, 'name')}=${percentEncode(unescapeHtml(attribute(tag, 'value') ?? ''))}`;
    const fields = [...new Set(named.filter((tag) => !hidden.includes(tag)).map((tag) => attribute(tag, 'name')!))];
    return [{ action: unescapeHtml(action), hidden: hidden.map(encoded), fields }];
  });
}

/** Which page and form, and what to type into each field (or leave out); extra and repeated fields too. */
export const formSubmissions = fc.record({
  page: fc.nat(FORM_PAGES.length - 1),
  form: fc.nat(),
  values: fc.array(fc.option(fc.oneof(plausibleText.map(percentEncode), encodedPiece, hostileString.map(percentEncode))), {
    minLength: 8,
    maxLength: 8,
  }),
  strays: fc.oneof(fc.constant(''), encodedPairs(FORM_NAMES)),
});

export async function submitForm(target: FuzzTarget, plan: typeof formSubmissions extends fc.Arbitrary<infer T> ? T : never) {
  const origin = target.fixture.platform.config.publicUrl;
  const { cookie } = await target.signedIn();
  const headers = { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' };
  const page = await target.app.request(`${origin}${await FORM_PAGES[plan.page]!(target)}`, { headers: { cookie } });
  const forms = formsOf(await page.text());
  // A remembered consent answers with a redirect, not a page: nothing to fill in this time.
  if (forms.length === 0) return;
  const { action, hidden, fields } = forms[plan.form % forms.length]!;
  const typed = fields.flatMap((field, i) => (plan.values[i] === null ? [] : [`${field}=${plan.values[i]}`]));
  const body = [...hidden, ...typed, plan.strays].filter(Boolean).join('&');
  await target.observe(`POST ${action} ${body.slice(0, 300)}`, async () => {
    // Actions are paths, or absolute where a page links back to the platform (a consent page's header bar).
    const response = await target.app.request(new URL(action, origin).href, { method: 'POST', headers, body });
    return { status: response.status, refused: response.status >= 400, detail: (await response.text()).slice(0, 300) };
  });
}

// ---- MCP tools ----

type InputSchema = { properties?: Record<string, { type?: string }> };

/** The wiki's tools, as its endpoint lists them. */
export async function listTools(target: FuzzTarget): Promise<Array<{ name: string; inputSchema: InputSchema }>> {
  const response = await target.mcp(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
  return (await response.json()).result.tools;
}

/** Arguments for a tool from its published input schema: each property hostile or absent, plus strays. */
function toolArguments(schema: InputSchema): fc.Arbitrary<unknown> {
  const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 2 ** 53), hostileString);
  const value = (type?: string) => (type === 'string' ? hostileString : type === 'integer' || type === 'number' ? number : fc.jsonValue({ maxDepth: 3 }));
  const known = fc.record(Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, { type }]) => [name, value(type)])), { requiredKeys: [] });
  const strays = fc.dictionary(hostileString, hostileString, { maxKeys: 2 });
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(known, strays).map(([args, stray]) => ({ ...stray, ...args })) },
    { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.array(hostileString, { maxLength: 2 }), hostileString) },
  );
}

export const toolCalls = (tools: Array<{ name: string; inputSchema: InputSchema }>) =>
  fc.constantFrom(...tools).chain((tool) => toolArguments(tool.inputSchema).map((args) => ({ name: tool.name, args })));

export async function callTool(target: FuzzTarget, { name, args }: { name: string; args: unknown }): Promise<void> {
  const message = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
  await target.observe(`tools/call ${message.slice(0, 300)}`, async () => {
    const response = await target.mcp(message);
    const text = await response.text();
    const answer = JSON.parse(text) as {
      error?: { code: number };
      result?: { isError?: boolean; content?: Array<{ text?: string }> };
    };
    // A JSON-RPC internal error, or a tool error that blames the wiki, is a server fault wearing a 200.
    const fault = answer.error?.code === -32603 || /try again|fault on its side/i.test(answer.result?.content?.[0]?.text ?? '');
    return {
      status: fault ? 500 : response.status,
      refused: Boolean(answer.error || answer.result?.isError),
      detail: text.slice(0, 300),
    };
  });
}

// ---- RPC methods ----

/** Connect codes that mean the server failed, as HTTP would report them. */
const SERVER_FAULTS = new Map([
  [Code.Internal, 500],
  [Code.Unknown, 500],
  [Code.DataLoss, 500],
  [Code.Unimplemented, 501],
  [Code.Unavailable, 503],
]);

export const rpcCalls = fc.oneof(
  fc.record({
    method: fc.constant('InitiateLogin' as const),
    identifier: hostileString,
    secretHash: fc.oneof(fc.constant('A'.repeat(43)), hostileString),
    clientName: hostileString,
  }),
  fc.record({
    method: fc.constant('AwaitLogin' as const),
    sessionId: fc.oneof(fc.constant('B'.repeat(22)), hostileString),
    secret: hostileString,
  }),
  fc.record({
    method: fc.constant('raw' as const),
    rpc: fc.constantFrom('InitiateLogin', 'AwaitLogin'),
    contentType,
    body: fc.oneof(hostileJson, hostileString),
  }),
);

/** Each call from its own loopback address (127.0.0.0/8), so per-address rate limits do not end the run early. */
const loopbackAddress = () => `127.0.${Math.floor(Math.random() * 255)}.${Math.floor(Math.random() * 253) + 2}`;

/** A POST that bypasses the Connect client's encoding: any body, any content type. */
function rawPost(url: string, contentType: string, body: string): Promise<Outcome> {
  const headers = contentType ? { 'content-type': contentType } : {};
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', localAddress: loopbackAddress(), headers }, (response) => {
      const status = response.statusCode ?? 0;
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk.slice(0, 300)));
      response.on('end', () => resolve({ status, refused: status >= 400, detail: text.slice(0, 300) }));
    });
    request.on('error', reject).end(body);
  });
}

export async function callRpc(target: FuzzTarget, call: typeof rpcCalls extends fc.Arbitrary<infer T> ? T : never): Promise<void> {
  const { url } = target.fixture.platform;
  await target.observe(`${call.method} ${JSON.stringify(call).slice(0, 300)}`, async () => {
    if (call.method === 'raw') return rawPost(`${url}/robot.auth.v1.AuthService/${call.rpc}`, call.contentType, call.body);
    const transport = createConnectTransport({
      baseUrl: url,
      httpVersion: '1.1',
      nodeOptions: { localAddress: loopbackAddress() },
    });
    const client = createClient(AuthService, transport);
    try {
      if (call.method === 'InitiateLogin') await client.initiateLogin(call, { timeoutMs: 5_000 });
      else for await (const _ of client.awaitLogin(call, { timeoutMs: 5_000 })) break;
      return { status: 200, refused: false };
    } catch (error) {
      const { code, message } = ConnectError.from(error);
      const status = SERVER_FAULTS.get(code) ?? (code === Code.DeadlineExceeded ? 504 : 400);
      return { status, refused: true, detail: `${Code[code]}: ${message}` };
    }
  });
}
