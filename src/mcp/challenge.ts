// The `WWW-Authenticate` challenge of a wiki's MCP endpoint (RFC 6750 §3), naming the wiki's
// protected-resource metadata (RFC 9728 §5.1), which is what starts an MCP client's authorization.
import { WIKI_SCOPES } from '../wiki/access.ts';

/** RFC 6750 §3.1 error codes an MCP endpoint answers with a challenge. */
export type ChallengeError = 'invalid_token' | 'insufficient_scope';

export interface ChallengeProblem {
  code: ChallengeError;
  description?: string;
  /** The scopes the request needs (insufficient_scope); all the wiki's scopes otherwise. */
  scopes?: readonly string[];
}

/**
 * RFC 9110 §5.6.4 quoted-string: no way out of the quotes, no CR/LF header injection (PR-03), and
 * printable ASCII only (RFC 6750 §3 limits error_description to it; fetch refuses other bytes).
 */
const quoted = (value: string) => `"${value.replace(/[^\x20-\x7e]+/g, ' ').replace(/(["\\])/g, '\\$1')}"`;

/** The challenge for a request without credentials (no `problem`) or with a refused one. */
export function challenge(resource: { resourceMetadataUrl: string }, problem?: ChallengeProblem): string {
  const parts = [`resource_metadata=${quoted(resource.resourceMetadataUrl)}`, `scope=${quoted((problem?.scopes ?? WIKI_SCOPES).join(' '))}`];
  // RFC 6750 §3.1: no `error` when the request carried no credentials.
  if (problem) parts.push(`error=${quoted(problem.code)}`);
  if (problem?.description) parts.push(`error_description=${quoted(problem.description)}`);
  return `Bearer ${parts.join(', ')}`;
}
