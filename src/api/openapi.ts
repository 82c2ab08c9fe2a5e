// The OpenAPI 3.1 document of the management API, written from the operation list and its zod
// schemas (zod's own JSON Schema output; OpenAPI 3.1 schemas are JSON Schema 2020-12, OAS §4.8.24).
import { z } from 'zod';
import { ZIP, type Operation } from './operations.ts';
import { PROBLEM_TYPE } from './problem.ts';

export const API_BASE = '/api/v1';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as JsonSchema;
  return rest;
}

const content = (body: z.ZodType | typeof ZIP, io: 'input' | 'output') =>
  body === ZIP ? { [ZIP]: { schema: { type: 'string', contentMediaType: ZIP } } } : { 'application/json': { schema: schemaOf(body, io) } };

function parameters(operation: Operation): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', operation.params],
    ['query', operation.query],
  ] as const) {
    if (!schema) continue;
    const json = schemaOf(schema, 'input') as { properties: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties)) {
      const { description, ...rest } = property;
      list.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), description, schema: rest });
    }
  }
  return list;
}

const problemRef = { [PROBLEM_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } };

function operationObject(operation: Operation): JsonSchema {
  const responses: Record<string, JsonSchema> = {
    [operation.status]: operation.response ? { description: operation.summary, content: content(operation.response, 'output') } : { description: 'Done' },
  };
  for (const status of [...operation.problems, 401, 500, 503]) responses[status] = { description: 'A problem (RFC 9457)', content: problemRef };
  return {
    operationId: operation.id,
    summary: operation.summary,
    parameters: parameters(operation),
    ...(operation.body ? { requestBody: { required: true, content: content(operation.body, 'input') } } : {}),
    responses,
  };
}

export function openApiDocument(operations: Operation[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of operations) paths[operation.path] = { ...paths[operation.path], [operation.method]: operationObject(operation) };
  return {
    openapi: '3.1.1',
    info: {
      title: 'robot.wtf management API',
      version: '1',
      description:
        'Wikis, collaborators, tokens and pages. Authenticate with a bearer token: the credential `robot login` stores, or a personal access token (POST /personal-tokens). The browser session cookie is not accepted.',
    },
    servers: [{ url: `${serverUrl}${API_BASE}` }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A cli+jwt from robot login, or a personal access token (rpt_…)' } },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string', description: 'A stable error code' },
            instance: { type: 'string' },
          },
          required: ['type', 'title', 'status', 'detail', 'code'],
        },
      },
    },
  };
}
