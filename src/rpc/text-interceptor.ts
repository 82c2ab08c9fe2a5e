// Every string field of an RPC request follows the platform's text rule (catalogue IN-06): a NUL in a
// session id is InvalidArgument, the same on SQLite and PostgreSQL, never Internal.
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { jsonTextProblem } from '../http/input-text.ts';

function check(message: unknown): void {
  const problem = jsonTextProblem(message, 'line');
  if (problem) throw new ConnectError(`a field of the request ${problem}`, Code.InvalidArgument);
}

async function* checked(messages: AsyncIterable<unknown>): AsyncIterable<unknown> {
  for await (const message of messages) {
    check(message);
    yield message;
  }
}

export const refuseHostileText: Interceptor = (next) => async (request) => {
  if (!request.stream) {
    check(request.message);
    return next(request);
  }
  // Streaming requests (AwaitLogin is server-streaming) hand their input over as an iterable.
  return next({ ...request, message: checked(request.message) } as typeof request);
};
