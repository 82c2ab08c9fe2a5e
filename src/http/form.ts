// Form parsing with plain URLSearchParams semantics (catalogue IN-03): a repeated field is an error,
// bracket names are just names, and an empty value counts as absent. Every name and value must be
// clean text (IN-06): the one rule for every form, the OAuth endpoints' included.
import type { Context } from 'hono';
import { AppError } from '../errors/app-error.ts';
import { textProblem } from './input-text.ts';

export type Form = Map<string, string>;

/** The fields of an `application/x-www-form-urlencoded` body, or what is wrong with it. */
export function parseForm(body: string): Form | { problem: string } {
  const form: Form = new Map();
  for (const [name, value] of new URLSearchParams(body)) {
    const field = `"${name.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)}"`;
    if (form.has(name)) return { problem: `The field ${field} was sent more than once.` };
    const problem = textProblem(name, 'line') ?? textProblem(value, 'multiline');
    if (problem) return { problem: `The field ${field} ${problem}.` };
    if (value !== '') form.set(name, value);
  }
  return form;
}

export async function readForm(c: Context): Promise<Form> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new AppError(
      'invalid_request',
      400,
      'This form must be sent as application/x-www-form-urlencoded.',
      'Bad request',
    );
  }
  const form = parseForm(await c.req.text());
  if ('problem' in form) throw new AppError('invalid_request', 400, form.problem, 'Bad request');
  return form;
}
