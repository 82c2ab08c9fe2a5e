// One log line per RPC call, as the web app writes one per HTTP request (src/web/app.tsx): method,
// outcome, duration and client address. Never the messages: they carry the CLI's secret, its hash,
// the session id and the delivered credential (catalogue LG-01).
import { ConnectError, type ContextKey, type Interceptor } from '@connectrpc/connect';
import { codeToString } from '@connectrpc/connect/protocol-connect';
import type { Logger } from '../log.ts';

/** The Connect protocol's name for how a call ended (`ok`, `not_found`, …; a stream left early: `cancelled`). */
const outcomeOf = (error: unknown) => codeToString(ConnectError.from(error).code);

/** `addressKey`: where the handler put the client address in the call's context. */
export function accessLog(log: Logger, addressKey: ContextKey<string>): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const line = (outcome: string) =>
      log.info(
        {
          event: 'rpc',
          method: request.method.name,
          // Not `code`: the logger redacts fields of that name (OAuth codes, src/log.ts).
          outcome,
          ms: Math.round(performance.now() - started),
          clientAddress: request.contextValues.get(addressKey),
        },
        'rpc',
      );
    let response;
    try {
      response = await next(request);
    } catch (error) {
      line(outcomeOf(error));
      throw error;
    }
    if (!response.stream) {
      line('ok');
      return response;
    }
    return { ...response, message: logWhenDone(response.message, line) } as typeof response;
  };
}

async function* logWhenDone<T>(messages: AsyncIterable<T>, line: (outcome: string) => void): AsyncIterable<T> {
  let outcome = 'cancelled';
  try {
    yield* messages;
    outcome = 'ok';
  } catch (error) {
    outcome = outcomeOf(error);
    throw error;
  } finally {
    line(outcome);
  }
}
