// Checks the params of each JSON-RPC request against the MCP SDK's own schema for its method before
// the SDK sees them. The SDK answers a params mismatch with -32603 Internal error and its validator's
// whole report as the message; JSON-RPC 2.0 §5.1 calls it -32602 Invalid params, and one short reason
// is enough (catalogue IN-02).
import { ClientRequestSchema } from '@modelcontextprotocol/sdk/types.js';

type Schema = (typeof ClientRequestSchema.options)[number];

const SCHEMAS = new Map<string, Schema>(ClientRequestSchema.options.map((schema) => [schema.shape.method.value, schema]));

export interface JsonRpcError {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

/** The error to answer for one message, or undefined to leave it to the SDK (valid, or not a request we know). */
function paramsError(message: unknown): JsonRpcError | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { id, method } = message as { id?: unknown; method?: unknown };
  const schema = typeof method === 'string' ? SCHEMAS.get(method) : undefined;
  if (!schema || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
  const result = schema.safeParse(message);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  const where = issue.path.map(String).join('.').slice(0, 80) || 'params';
  return {
    jsonrpc: '2.0',
    id,
    error: { code: -32602, message: `Invalid params: ${where}: ${issue.message.slice(0, 100)}` },
  };
}

/**
 * What to answer instead of running the body, if any of its requests has invalid params: the error
 * itself for a single message; for a batch, -32600 for the whole (none of it runs, so no half-done batch).
 */
export function invalidParamsResponse(body: unknown): JsonRpcError | undefined {
  if (!Array.isArray(body)) return paramsError(body);
  const index = body.findIndex((message) => paramsError(message) !== undefined);
  if (index < 0) return undefined;
  return {
    jsonrpc: '2.0',
    id: null,
    error: {
      code: -32600,
      message: `Invalid Request: batch item ${index}: ${paramsError(body[index])!.error.message}`,
    },
  };
}
