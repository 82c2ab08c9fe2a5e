// Request policy as an ordered list of small named checks (as node-oidc-provider does it): each is a
// function of the request's context that throws an OAuthError or returns. The order is part of the
// policy, so each list is written out once where its endpoint is defined.
import { OAuthError } from './oauth-error.ts';

export type Check<Context> = (context: Context) => void | Promise<void>;

/** Runs `checks` in order; the first refusal is thrown. */
export async function runChecks<Context>(checks: readonly Check<Context>[], context: Context): Promise<void> {
  for (const check of checks) await check(context);
}

/** The first refusal among `checks`, without throwing it: for steps that must record a failed attempt. */
export async function firstRefusal<Context>(checks: readonly Check<Context>[], context: Context): Promise<OAuthError | undefined> {
  try {
    await runChecks(checks, context);
    return undefined;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
}

/** The same resource with or without a trailing slash (RFC 8707 resource indicators are URIs). */
export function canonicalResource(value: string): string {
  return value.endsWith('/') ? value.slice(0, -1) : value;
}
