// Maps driver-specific unique-constraint failures to one shape, so callers never test for a
// SQLite message or a PostgreSQL SQLSTATE themselves.
/**
 * How long a client is asked to wait (`Retry-After`) when the store is briefly out of reach. Short: well
 * inside an authorization code's 60 s lifetime, so a client honouring it can still redeem; the code
 * exchange and the refresh rotation are single transactions, so the retry of the same request finds
 * nothing half-done (catalogue DB-01, DB-04).
 */
export const RETRY_AFTER_SECONDS = 5;

export function uniqueViolationColumn(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, constraint } = error as { code?: unknown; message?: unknown; constraint?: unknown };
  if (code === '23505' && typeof constraint === 'string') {
    // PostgreSQL default names: users_pkey, users_username_key.
    if (constraint.endsWith('_pkey')) return 'primary';
    return constraint.replace(/^[a-z]+_/, '').replace(/_key$/, '');
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT') && typeof message === 'string') {
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'primary';
    const match = /UNIQUE constraint failed: \w+\.(\w+)/.exec(message);
    return match?.[1];
  }
  return undefined;
}

/**
 * Whether a failure means the store is briefly out of reach (locked past the busy timeout, connection
 * lost or refused, server shutting down) rather than a bug, so the request may be answered "try again"
 * (503, `temporarily_unavailable`; catalogue DB-01, DB-02).
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // SQLSTATE class 22, data exception (22021 a NUL byte, 22P02 bad text for a type, 22001 too long):
    // the statement's data is wrong, which retrying will not cure, whatever the message says (IN-05).
    if (code.startsWith('22')) return false;
    if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)/.test(code)) return true;
    // SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P (shutdown,
    // pg_terminate_backend), and the socket errors of an unreachable server.
    if (/^(08|53|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
  }
  // node-postgres reports a connection lost mid-query, or a pool that could not connect, without a code.
  return typeof message === 'string' && /^Connection terminated|is not queryable|timeout exceeded when trying to connect/.test(message);
}
