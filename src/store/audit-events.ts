// The platform's audit trail of administrative events (suspensions, invites, refused signups,
// deleted accounts), listed on the admin page. OAuth steps are logged, not stored (authserver/audit.ts):
// one row per code or refresh would cost a write on the hot paths. These rows outlive an account's
// deletion on purpose: they are the record that it happened.
import { randomUUID } from 'node:crypto';
import type { StoreDb } from './database.ts';
import type { AuditEventsTable } from './schema.ts';
import type { Sql } from './sql.ts';

export type AuditEventRow = AuditEventsTable;
export type NewAuditEvent = Omit<AuditEventRow, 'id' | 'at'>;

export interface AuditEventStore {
  record(event: NewAuditEvent, now: number): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<AuditEventRow[]>;
}

/** The one insert of an event, also run inside other operations' transactions (./accounts.ts). */
export async function recordAuditEvent(sql: Sql, event: NewAuditEvent, now: number): Promise<void> {
  await sql.run('insert into audit_events (id, at, event, actor_did, subject, detail) values (?, ?, ?, ?, ?, ?)', [
    randomUUID(),
    now,
    event.event,
    event.actor_did,
    event.subject,
    event.detail,
  ]);
}

export function auditEventStore(db: StoreDb): AuditEventStore {
  return {
    record: (event, now) => recordAuditEvent(db.sql, event, now),
    recent: (limit) => db.sql.all<AuditEventRow>('select id, at, event, actor_did, subject, detail from audit_events order by at desc, id limit ?', [limit]),
  };
}
