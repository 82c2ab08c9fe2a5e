// Invite codes for SIGNUP=invite. Only the SHA-256 of a code is stored; the admin who makes one sees
// it once. A code is spent inside signup's own transaction (./pending-signups.ts), by a conditional
// UPDATE whose row count decides which of two racing signups gets it.
import { randomUUID } from 'node:crypto';
import type { StoreDb } from './database.ts';
import type { InvitesTable } from './schema.ts';
import type { Sql } from './sql.ts';

export type Invite = Omit<InvitesTable, 'code_hash'>;

export interface InviteStore {
  create(invite: { codeHash: string; note: string; expiresAt: number }, now: number): Promise<Invite>;
  /** Newest first. */
  list(limit: number): Promise<Invite[]>;
  /** Revokes an unused, unrevoked invite; false when there is none such. */
  revoke(id: string, now: number): Promise<boolean>;
}

/** Spends a live invite (unused, unrevoked, unexpired) inside the caller's transaction; false if there is none. */
export async function spendInvite(tx: Sql, codeHash: string, now: number): Promise<boolean> {
  const spent = await tx.run('update invites set used_at = ? where code_hash = ? and used_at is null and revoked_at is null and expires_at > ?', [
    now,
    codeHash,
    now,
  ]);
  return spent === 1;
}

const COLUMNS = 'id, note, created_at, expires_at, used_at, revoked_at';

export function inviteStore(db: StoreDb): InviteStore {
  return {
    async create({ codeHash, note, expiresAt }, now) {
      const invite: Invite = { id: randomUUID(), note, created_at: now, expires_at: expiresAt, used_at: null, revoked_at: null };
      await db.sql.run(`insert into invites (${COLUMNS}, code_hash) values (?, ?, ?, ?, ?, ?, ?)`, [invite.id, note, now, expiresAt, null, null, codeHash]);
      return invite;
    },
    list: (limit) => db.sql.all<Invite>(`select ${COLUMNS} from invites order by created_at desc, id limit ?`, [limit]),
    async revoke(id, now) {
      return (await db.sql.run('update invites set revoked_at = ? where id = ? and used_at is null and revoked_at is null', [now, id])) === 1;
    },
  };
}
