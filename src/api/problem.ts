// The management API's one error shape: RFC 9457 problem details (`application/problem+json`), with
// a stable `code` extension member (RFC 9457 §3.2) that scripts key on.
import type { Context } from 'hono';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../log.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import { WikiError, type WikiErrorCode } from '../wiki/pages.ts';
import { WikiManageError } from '../wiki/manage.ts';

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500 | 503;

export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: ProblemStatus,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const TITLES: Record<ProblemStatus, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const WIKI_STATUS: Record<WikiErrorCode, ProblemStatus> = {
  invalid_path: 422,
  invalid_input: 422,
  no_match: 422,
  not_found: 404,
  conflict: 409,
  exists: 409,
  too_large: 413,
};

/** Any error a handler throws, as a problem; causes the caller must not see go to the log only. */
export function toProblem(error: unknown, log: Logger, requestId: string | undefined): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (error instanceof WikiError) return new ApiProblem(WIKI_STATUS[error.code], error.code, error.message);
  if (error instanceof WikiManageError) return new ApiProblem(error.status, error.status === 409 ? 'exists' : 'invalid_input', error.message);
  if (error instanceof AppError && error.status < 500) return new ApiProblem(error.status as ProblemStatus, error.code, error.message);
  if (isStoreUnavailable(error)) return new ApiProblem(503, 'unavailable', 'The service is briefly unavailable. Please try again in a moment.');
  log.error({ err: error, requestId }, 'unhandled error in the management API');
  return new ApiProblem(500, 'server_error', 'An internal error occurred. Please try again in a moment.');
}

export const PROBLEM_TYPE = 'application/problem+json';

export function problemResponse(c: Context, problem: ApiProblem): Response {
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_TYPE, 'Cache-Control': 'no-store' };
  // RFC 6750 §3: a request without a usable bearer token is answered with the scheme it needs.
  if (problem.status === 401) headers['WWW-Authenticate'] = `Bearer realm="robot.wtf API"${problem.code === 'invalid_token' ? ', error="invalid_token"' : ''}`;
  if (problem.status === 503) headers['Retry-After'] = '30';
  const body = { type: 'about:blank', title: TITLES[problem.status], status: problem.status, detail: problem.detail, code: problem.code, instance: c.req.path };
  return new Response(JSON.stringify(body), { status: problem.status, headers });
}
