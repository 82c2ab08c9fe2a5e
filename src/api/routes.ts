// The management API under /api/v1: a Hono router made from the operation list. Every operation but
// the document itself needs a bearer credential (./credentials.ts); bodies and parameters are checked
// with the operation's schemas; every error is a problem document (./problem.ts).
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { authenticate } from './credentials.ts';
import { API_BASE, openApiDocument } from './openapi.ts';
import { maxArchiveBytes, OPERATIONS, ZIP, type ApiDeps, type Operation } from './operations.ts';
import { ApiProblem, problemResponse, toProblem } from './problem.ts';

/** A JSON body carries at most one page and a little more. */
const jsonBodyLimit = (deps: ApiDeps) => deps.config.pageLimits.pageBytes * 2 + 64 * 1024;

/** `/wikis/{slug}/pages/{path}` → `/api/v1/wikis/:slug/pages/:path{.+}` (a page path may hold slashes). */
export function honoPath(path: string): string {
  return API_BASE + path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'path' ? ':path{.+}' : `:${name}`));
}

function parsed<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`).join('; ');
  throw new ApiProblem(what === 'body' ? 422 : 400, 'invalid_input', `The ${what} is not valid: ${issues}`);
}

async function bodyOf(c: Context, operation: Operation): Promise<unknown> {
  if (!operation.body) return undefined;
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (operation.body === ZIP) {
    if (type !== ZIP && type !== 'application/octet-stream') throw new ApiProblem(415, 'unsupported_media_type', `Send the archive as ${ZIP}.`);
    return new Uint8Array(await c.req.arrayBuffer());
  }
  if (type !== 'application/json') throw new ApiProblem(415, 'unsupported_media_type', 'Send the body as application/json.');
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new ApiProblem(400, 'invalid_json', 'The body is not valid JSON.');
  }
  return parsed(operation.body, json, 'body');
}

function respond(c: Context, operation: Operation, result: unknown): Response {
  const headers = { 'Cache-Control': 'no-store' };
  if (operation.status === 204) return c.body(null, 204, headers);
  if (operation.response === ZIP) return c.body(result as Uint8Array<ArrayBuffer>, operation.status, { ...headers, 'Content-Type': ZIP });
  return c.json(result as object, operation.status, headers);
}

export function apiRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  // Each handler answers its own errors (rather than an app.onError, under which Hono would wrap every
  // handler), so the router lists the endpoints as they are (the fuzzer reads them off it).
  const answering =
    (handler: (c: Context) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      try {
        return await handler(c);
      } catch (error) {
        return problemResponse(c, toProblem(error, deps.log, c.get('requestId') as string | undefined));
      }
    };
  // Written at its first request, not at startup.
  let document: string | undefined;
  app.get(`${API_BASE}/openapi.json`, (c) => {
    document ??= JSON.stringify(openApiDocument(OPERATIONS, deps.config.publicUrl));
    return c.body(document, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' });
  });

  const tooLarge = (c: Context) => problemResponse(c, new ApiProblem(413, 'too_large', 'That request body is too large.'));
  for (const operation of OPERATIONS) {
    const limit = bodyLimit({ maxSize: operation.body === ZIP ? maxArchiveBytes(deps.config) : jsonBodyLimit(deps), onError: tooLarge });
    app.on(
      operation.method.toUpperCase(),
      honoPath(operation.path),
      limit,
      answering(async (c) => {
        // The credential first: an anonymous caller learns nothing, not even whether its input was valid.
        const caller = await authenticate(deps, c);
        const params = operation.params ? parsed(operation.params, c.req.param(), 'path') : undefined;
        const query = operation.query ? parsed(operation.query, c.req.query(), 'query') : undefined;
        const body = await bodyOf(c, operation);
        return respond(c, operation, await operation.handle({ caller, params, query, body }, deps));
      }),
    );
  }
  app.all(
    `${API_BASE}/*`,
    answering(async () => {
      throw new ApiProblem(404, 'not_found', 'There is no such operation; see /api/v1/openapi.json.');
    }),
  );
  return app;
}
