// The text the platform accepts from clients, in one rule for every edge (URL, form, JSON, MCP tool
// arguments, RPC fields; catalogue IN-06). PostgreSQL refuses NUL in text (SQLSTATE 22021) where
// SQLite stores it, so without a rule at the edge the two backends would answer one request
// differently, and a client's typo would surface as a server error. No identifier, URL or form
// field legitimately holds a control character; page text keeps its tabs and line breaks.

import { z } from 'zod';

/** C0 controls and DEL. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The same without TAB, LF and CR, which Markdown and textarea posts legitimately contain. */
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** With the `u` flag a surrogate range matches only unpaired halves: text that is not Unicode. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** `line`: identifiers, URLs and form fields. `multiline`: text a person writes (pages, messages). */
export type TextKind = 'line' | 'multiline';

/** Why `value` is not acceptable text, phrased to follow its name ("content …"); undefined if it is. */
export function textProblem(value: string, kind: TextKind): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode text (it holds an unpaired surrogate)';
  if ((kind === 'line' ? CONTROL : CONTROL_BUT_LINE_BREAKS).test(value)) {
    return kind === 'line' ? 'must not contain NUL or other control characters' : 'must not contain NUL or control characters other than tab and line breaks';
  }
  return undefined;
}

/** A zod string held to the rule, for schemas of JSON bodies (the management API's). */
export const textSchema = (kind: TextKind) =>
  z.string().superRefine((value, context) => {
    const problem = textProblem(value, kind);
    if (problem) context.addIssue({ code: 'custom', message: `This text ${problem}.` });
  });

/**
 * The problem with one percent-encoded part of a URL (path or query), judged on what it decodes to:
 * escapes must spell UTF-8 (RFC 3986 §2.5) and the text must pass the `line` rule. A `%` that does not
 * start an escape is left to the router, as before.
 */
export function urlPartProblem(raw: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
  } catch {
    return 'holds percent-escapes that are not UTF-8';
  }
  return textProblem(decoded, 'line');
}

/** The first problem in any string (key or value) of parsed JSON; iterative, so no depth overflows the stack. */
export function jsonTextProblem(value: unknown, kind: TextKind): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      const problem = textProblem(next, kind);
      if (problem) return problem;
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, child] of Object.entries(next)) pending.push(key, child);
    }
  }
  return undefined;
}
