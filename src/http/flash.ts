// The confirmation after an action: a redirect carries `?done=<key>`, and the page shows the fixed
// sentence for that key. Only our own words are ever shown, never text from the URL (catalogue IN-06),
// so a forged link can at worst show a true-sounding sentence, never attacker-chosen content.
const DONE = {
  'wiki-created': 'Wiki created. Connect an assistant below.',
  'wiki-deleted': 'Wiki deleted, with all its pages, apps and tokens.',
  'settings-saved': 'Name and description saved.',
  'access-saved': 'Access saved.',
  'member-saved': 'Collaborator saved.',
  'member-removed': 'Collaborator removed. Their apps and tokens for this wiki no longer work.',
  'token-revoked': 'Token revoked. It no longer works.',
  'app-disconnected': 'App disconnected. It can no longer use your wiki.',
} as const;

export type DoneKey = keyof typeof DONE;

/** `path` with the confirmation key added (path is ours, without a query). */
export const withDone = (path: string, key: DoneKey): string => `${path}?done=${key}`;

export function doneMessage(key: string | undefined): string | undefined {
  return key !== undefined && Object.hasOwn(DONE, key) ? DONE[key as DoneKey] : undefined;
}
