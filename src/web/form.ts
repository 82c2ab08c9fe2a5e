// Form parsing with plain URLSearchParams semantics (catalogue IN-03): a repeated field is an error,
// bracket names are just names, and an empty value counts as absent.
import type { Context } from 'hono';
import { AppError } from '../errors/app-error.ts';

export type Form = Map<string, string>;

export async function readForm(c: Context): Promise<Form> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new AppError('invalid_request', 400, 'This form must be sent as application/x-www-form-urlencoded.', 'Bad request');
  }
  const params = new URLSearchParams(await c.req.text());
  const form: Form = new Map();
  for (const [name, value] of params) {
    if (form.has(name)) throw new AppError('invalid_request', 400, `The field "${name.slice(0, 40)}" was sent more than once.`, 'Bad request');
    if (value !== '') form.set(name, value);
  }
  return form;
}
