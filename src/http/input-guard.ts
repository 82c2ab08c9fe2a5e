// Refuses a request whose path or query is not clean text (catalogue IN-06) before any route reads
// it: a NUL in a slug or client_id would otherwise reach the database as a lookup key.
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors/app-error.ts';
import { urlPartProblem } from './input-text.ts';
import { requestTarget } from './request-target.ts';

export const refuseHostileUrls: MiddlewareHandler = async (c, next) => {
  const { pathname, search } = requestTarget(c.req.url);
  const problem = urlPartProblem(pathname) ?? urlPartProblem(search);
  if (problem) throw new AppError('invalid_request', 400, `This address ${problem}.`, 'Bad request');
  await next();
};
