// Form parsing with plain URLSearchParams semantics (catalogue IN-03): a repeated field is an error,
// bracket names are just names, and an empty value counts as absent. Every name and value must be
// clean text (IN-06): the one rule for every form, the OAuth endpoints' included.
import type { Context } from 'hono';
import { AppError } from '../errors/app-error.ts';
import { textProblem } from './input-text.ts';

export type Form = Map<string, string>;

/** A parameter's name as quoted back in an error: printable ASCII, at most 40 characters. */
export const quotedName = (name: string) => `"${name.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}"`;

/**
 * The first name that appears more than once, if any. The one repeated-parameter rule (RFC 6749 §3.1,
 * catalogue IN-03) for every form and for the authorization endpoint's query.
 */
export function repeatedParameter(params: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** The fields of an `application/x-www-form-urlencoded` body, or what is wrong with it. */
export function parseForm(body: string): Form | { problem: string } {
  const params = new URLSearchParams(body);
  const repeated = repeatedParameter(params);
  if (repeated !== undefined) return { problem: `The field ${quotedName(repeated)} was sent more than once.` };
  const form: Form = new Map();
  for (const [name, value] of params) {
    const problem = textProblem(name, 'line') ?? textProblem(value, 'multiline');
    if (problem) return { problem: `The field ${quotedName(name)} ${problem}.` };
    if (value !== '') form.set(name, value);
  }
  return form;
}

export async function readForm(c: Context): Promise<Form> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new AppError('invalid_request', 400, 'This form must be sent as application/x-www-form-urlencoded.', 'Bad request');
  }
  const form = parseForm(await c.req.text());
  if ('problem' in form) throw new AppError('invalid_request', 400, form.problem, 'Bad request');
  return form;
}
