// Cursors for paged answers (list, search, history, recent changes): opaque to the caller, a
// base64url JSON of where the next page starts, tagged with what it pages so one listing's cursor is
// refused by another. Nothing in a cursor is trusted beyond its shape: it only narrows a query of the
// caller's own wiki.
export type CursorKind = 'list' | 'search' | 'history' | 'changes';

export function encodeCursor(kind: CursorKind, position: unknown): string {
  return Buffer.from(JSON.stringify({ k: kind, p: position }), 'utf8').toString('base64url');
}

/** The position a cursor holds, checked by `valid`; undefined for anything else. */
export function decodeCursor<T>(kind: CursorKind, cursor: string, valid: (position: unknown) => position is T): T | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const { k, p } = (typeof decoded === 'object' && decoded !== null ? decoded : {}) as { k?: unknown; p?: unknown };
  return k === kind && valid(p) ? p : undefined;
}

/** A page of results and, when more exist, the cursor of the next page. */
export interface Paged<T> {
  items: T[];
  nextCursor: string | undefined;
}

/** `found` was fetched with one row more than `limit`: that row's presence says a next page exists. */
export function paged<T>(found: T[], limit: number, kind: CursorKind, positionOf: (last: T) => unknown): Paged<T> {
  const items = found.slice(0, limit);
  const more = found.length > limit && items.length > 0;
  return { items, nextCursor: more ? encodeCursor(kind, positionOf(items[items.length - 1]!)) : undefined };
}
