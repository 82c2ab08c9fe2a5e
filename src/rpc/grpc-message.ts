// gRPC status messages in the form the gRPC spec gives them (catalogue CL-10).
//
// PROTOCOL-HTTP2.md, "Status-Message": the text is UTF-8, percent-encoded, where
//   Percent-Byte-Unencoded → %x20-%x24 / %x26-%x7E   ; space and VCHAR, except %
// connect-node writes encodeURIComponent(message): valid under that grammar, but it also escapes the
// reserved characters ; , / ? : @ & = + $ #. Stock @grpc/grpc-js decodes with decodeURI, which by
// definition leaves exactly those escapes in place, so its users read "login%3B run robot login
// again". Escaping only what the grammar requires is what the reference implementations send (gRPC
// C core, grpc-java, grpc-go) and decodes correctly with decodeURI and decodeURIComponent alike. The
// real fault is grpc-js's decoder; this is the narrowest place where our server can send the spec's form.
import type { RpcHandler } from './auth-service.ts';

const HEADER = 'grpc-message';
const HEX = '0123456789ABCDEF';

export function encodeGrpcMessage(message: string): string {
  let encoded = '';
  for (const byte of new TextEncoder().encode(message)) {
    const unencoded = (byte >= 0x20 && byte <= 0x24) || (byte >= 0x26 && byte <= 0x7e);
    encoded += unencoded ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return encoded;
}

/** Rewrites a `grpc-message` field connect-node encoded with encodeURIComponent into the spec's form. */
function respell(fields: unknown): void {
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return;
  const record = fields as Record<string, unknown>;
  const value = record[HEADER];
  if (typeof value !== 'string') return;
  try {
    record[HEADER] = encodeGrpcMessage(decodeURIComponent(value));
  } catch {
    // Not something connect-node wrote: leave it as it is.
  }
}

interface FieldWriter {
  writeHead(...args: unknown[]): unknown;
  addTrailers(trailers: unknown): void;
}

/**
 * Wraps the gRPC (h2c) handler: the status travels in the trailers, or in the headers of a
 * trailers-only response, so both writes are respelled.
 */
export function withSpecGrpcMessages(handler: RpcHandler): RpcHandler {
  return (request, response) => {
    const writer = response as unknown as FieldWriter;
    const writeHead = writer.writeHead.bind(writer);
    const addTrailers = writer.addTrailers.bind(writer);
    writer.writeHead = (...args) => {
      args.forEach(respell);
      return writeHead(...args);
    };
    writer.addTrailers = (trailers) => {
      respell(trailers);
      addTrailers(trailers);
    };
    handler(request, response);
  };
}
