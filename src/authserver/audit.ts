// The audit trail (DESIGN.md §5): one structured log event per OAuth step, each with the client id,
// the grant id once there is one, and the request id that ties it to the access log line. Callers pass
// identifiers only, never a token, code or secret (catalogue LG-01).
import type { Context } from 'hono';
import type { Logger } from '../log.ts';

const EVENTS = {
  'oauth.client.registered': ['info', 'client registered'],
  'oauth.client.metadata_fetched': ['info', 'client metadata document fetched'],
  'oauth.client.metadata_failed': ['info', 'client metadata document fetch failed'],
  'oauth.authorize.begun': ['info', 'authorization begun'],
  'oauth.authorize.refused': ['info', 'authorization refused: the person cannot grant this wiki'],
  'oauth.consent.approved': ['info', 'consent approved'],
  'oauth.consent.denied': ['info', 'consent denied'],
  'oauth.code.issued': ['info', 'authorization code issued'],
  'oauth.code.redeemed': ['info', 'authorization code redeemed'],
  'oauth.code.replayed': ['warn', 'authorization code replayed; grant revoked'],
  'oauth.refresh.rotated': ['info', 'refresh token rotated'],
  'oauth.refresh.grace': ['info', 'refresh retried within the grace window'],
  'oauth.refresh.replayed': ['warn', 'refresh token reused; grant revoked'],
  'oauth.revoked': ['info', 'token revoked'],
} as const;

export type AuditEvent = keyof typeof EVENTS;

export interface AuditFields {
  clientId: string;
  wikiId?: string;
  grantId?: string;
  [detail: string]: unknown;
}

export function audit(log: Logger, c: Context, event: AuditEvent, fields: AuditFields): void {
  const [level, message] = EVENTS[event];
  log[level]({ event, requestId: c.get('requestId') as string | undefined, ...fields }, message);
}
