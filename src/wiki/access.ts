// Who may do what in a wiki. The owner and write collaborators hold both scopes, read collaborators
// `wiki:read`; anonymous read (off by default) lets anyone read the web view, never use MCP.
import type { Wiki, WikiStore } from '../store/wikis.ts';

export type Role = 'owner' | 'write' | 'read';

export const READ_SCOPE = 'wiki:read';
export const WRITE_SCOPE = 'wiki:write';
export const WIKI_SCOPES = [READ_SCOPE, WRITE_SCOPE] as const;

export async function roleOf(wikis: Pick<WikiStore, 'member'>, wiki: Wiki, did: string | undefined): Promise<Role | undefined> {
  if (!did) return undefined;
  if (wiki.owner_did === did) return 'owner';
  return (await wikis.member(wiki.id, did))?.role;
}

/** The scopes a role allows; a token never gets more than its holder's role, whatever it was granted. */
export function scopesOf(role: Role | undefined): string[] {
  if (role === 'owner' || role === 'write') return [READ_SCOPE, WRITE_SCOPE];
  if (role === 'read') return [READ_SCOPE];
  return [];
}

export function canReadPages(wiki: Wiki, role: Role | undefined): boolean {
  return role !== undefined || wiki.anonymous_read === 1;
}
