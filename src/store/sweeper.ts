// Every table with a lifetime is swept (DESIGN.md §4). Abandoned logins leave nothing behind: an
// expired pending signup takes the atproto session of its DID with it unless that DID became a user.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export const UNUSED_CLIENT_SECONDS = 24 * 60 * 60;
/** Used codes are kept this long past expiry, so a late replay still finds and revokes its grant (AC-01). */
const CODE_REPLAY_WINDOW_SECONDS = 24 * 60 * 60;

export async function sweepExpired(db: Kysely<Database>, now: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const count = (table: string, result: { numDeletedRows: bigint }) => {
    counts[table] = Number(result.numDeletedRows);
  };
  count('atproto_states', await db.deleteFrom('atproto_states').where('expires_at', '<=', now).executeTakeFirst());
  count('pending_signups', await db.deleteFrom('pending_signups').where('expires_at', '<=', now).executeTakeFirst());
  count('platform_sessions', await db.deleteFrom('platform_sessions').where('expires_at', '<=', now).executeTakeFirst());
  // Registrations never used within a day: MCP clients register anew on every connection (DC-05).
  count(
    'oauth_clients',
    await db
      .deleteFrom('oauth_clients')
      .where('last_used_at', 'is', null)
      .where('created_at', '<=', now - UNUSED_CLIENT_SECONDS)
      .executeTakeFirst(),
  );
  // Abandoned CLI logins, and confirmed ones never collected within their grace period.
  count('cli_logins', await db.deleteFrom('cli_logins').where('expires_at', '<=', now).executeTakeFirst());
  // Unanswered consent forms once expired; codes a day after they expire, so that until then a replay
  // of a redeemed code is still recognised and revokes its grant (AC-01).
  count('authorization_requests', await db.deleteFrom('authorization_requests').where('expires_at', '<=', now).executeTakeFirst());
  // Finished rate-limit windows (the shared counts on PostgreSQL): a window is over at expires_at.
  count('rate_limits', await db.deleteFrom('rate_limits').where('expires_at', '<=', now).executeTakeFirst());
  count(
    'authorization_codes',
    await db
      .deleteFrom('authorization_codes')
      .where('expires_at', '<=', now - CODE_REPLAY_WINDOW_SECONDS)
      .executeTakeFirst(),
  );
  count(
    'atproto_sessions',
    await db
      .deleteFrom('atproto_sessions')
      .where('key', 'not in', db.selectFrom('users').select('did'))
      .where('key', 'not in', db.selectFrom('pending_signups').select('did'))
      .executeTakeFirst(),
  );
  return counts;
}
