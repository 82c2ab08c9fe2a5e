// Maps driver-specific unique-constraint failures to one shape, so callers never test for a
// SQLite message or a PostgreSQL SQLSTATE themselves.
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
