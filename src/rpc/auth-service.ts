// robot.auth.v1.AuthService over Connect and gRPC: a thin mapping from CliLogins to RPC codes.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createContextKey, createContextValues, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { BlockList } from 'node:net';
import type { Logger } from '../log.ts';
import { clientAddress } from '../net/client-address.ts';
import { accessLog } from './access-log.ts';
import { AuthService, AwaitLoginResponseSchema, Stage } from './gen/robot/auth/v1/auth_pb.ts';
import { CliLoginError, type CliLoginErrorCode, type CliLogins, type CliStage } from './cli-logins.ts';
import { withSpecGrpcMessages } from './grpc-message.ts';
import { refuseHostileText } from './text-interceptor.ts';

export const AUTH_SERVICE_PATH = `/${AuthService.typeName}/`;

/**
 * Far above any request of ours (a handle, DID or PDS URL, a 43-character hash, a client name): a
 * larger body is ResourceExhausted while it is read, before it is decoded or any limit is counted
 * (catalogue IN-01, CL-07), so one request cannot make the server buffer megabytes.
 */
export const RPC_READ_MAX_BYTES = 16 * 1024;

const clientAddressKey = createContextKey('unknown');

/** gRPC status conventions (catalogue CL-01, CL-04, CL-05, CL-06, CL-07). */
const CODES: Record<CliLoginErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  denied: Code.PermissionDenied,
  expired: Code.DeadlineExceeded,
  already_delivered: Code.FailedPrecondition,
  rate_limited: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

const STAGES: Record<CliStage, Stage> = {
  waiting_for_browser: Stage.WAITING_FOR_BROWSER,
  signing_up: Stage.SIGNING_UP,
  awaiting_confirmation: Stage.AWAITING_CONFIRMATION,
};

const STAGE_MESSAGES: Record<CliStage, string> = {
  waiting_for_browser: 'Waiting for you to sign in in your browser…',
  signing_up: 'Signed in. Waiting for you to choose a username…',
  awaiting_confirmation: 'Signed in. Confirm this login in your browser…',
};

function asConnectError(error: unknown): unknown {
  return error instanceof CliLoginError ? new ConnectError(error.message, CODES[error.code]) : error;
}

function authRoutes(cliLogins: CliLogins) {
  return (router: ConnectRouter) =>
    router.service(AuthService, {
      async initiateLogin(request, context) {
        try {
          const started = await cliLogins.initiate({
            identifier: request.identifier,
            secretHash: request.secretHash,
            clientName: request.clientName,
            clientAddress: context.values.get(clientAddressKey),
          });
          return { ...started, expiresAt: BigInt(started.expiresAt) };
        } catch (error) {
          throw asConnectError(error);
        }
      },
      async *awaitLogin(request, context) {
        try {
          for await (const event of cliLogins.watch(request.sessionId, request.secret, context.values.get(clientAddressKey), context.signal)) {
            yield 'stage' in event
              ? create(AwaitLoginResponseSchema, { event: { case: 'progress', value: { stage: STAGES[event.stage], message: STAGE_MESSAGES[event.stage] } } })
              : create(AwaitLoginResponseSchema, { event: { case: 'completed', value: { ...event.completed, expiresAt: BigInt(event.completed.expiresAt) } } });
          }
        } catch (error) {
          throw asConnectError(error);
        }
      },
    });
}

export type RpcHandler = (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => void;

/**
 * One implementation for both transports: Connect (and gRPC-Web) on HTTP/1.1, gRPC on h2c. Either may sit
 * behind a reverse proxy: the client address is read the same way as for web requests (catalogue IN-07).
 */
export function authServiceHandler(cliLogins: CliLogins, transport: 'connect' | 'grpc', trustedProxies: BlockList, log: Logger): RpcHandler {
  const handler = connectNodeAdapter({
    routes: authRoutes(cliLogins),
    // The access log first, so that calls the text rule refuses are logged too.
    interceptors: [accessLog(log, clientAddressKey), refuseHostileText],
    readMaxBytes: RPC_READ_MAX_BYTES,
    connect: transport === 'connect',
    grpcWeb: transport === 'connect',
    grpc: transport === 'grpc',
    contextValues: (request) => {
      const address = clientAddress(request.socket?.remoteAddress, request.headers['x-forwarded-for'], trustedProxies);
      return createContextValues().set(clientAddressKey, address);
    },
  }) as RpcHandler;
  // gRPC-Web carries its trailers in the body and its clients decode them with decodeURIComponent.
  return transport === 'grpc' ? withSpecGrpcMessages(handler) : handler;
}
