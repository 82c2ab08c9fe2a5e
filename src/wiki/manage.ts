// Making wikis and their bearer tokens: the rules the dashboard and the management API both apply,
// with messages a person can act on.
import { checkUsername } from '../session/username.ts';
import type { WikiToken, WikiTokenStore } from '../store/wiki-tokens.ts';
import { SlugTakenError, type Wiki, type WikiStore } from '../store/wikis.ts';
import { READ_SCOPE, WRITE_SCOPE, type Role } from './access.ts';
import { newWikiToken } from './tokens.ts';

export const MAX_DISPLAY_NAME = 80;
export const MAX_DESCRIPTION = 500;
export const MAX_TOKEN_NAME = 60;
export const MAX_TOKENS_PER_WIKI = 50;

/** The input a refusal is about, so a form can show it beside that field. */
export type ManagedField = 'slug' | 'display_name' | 'token_name' | 'token_access';

/** Why a wiki or token was not made; `status` is what an HTTP caller answers. */
export class WikiManageError extends Error {
  override name = 'WikiManageError';
  constructor(
    readonly status: 409 | 422,
    readonly field: ManagedField,
    message: string,
  ) {
    super(message);
  }
}

/** One line of text: control characters become spaces, invisible formatting characters go, spaces collapse. */
export const oneLine = (input: string | undefined): string =>
  (input ?? '')
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\p{Cf}/gu, '')
    .trim()
    .replace(/\s+/g, ' ');

/** Display names: one line of 1–80 characters. */
export function displayNameOf(input: string | undefined): string | undefined {
  const name = oneLine(input);
  return name.length >= 1 && name.length <= MAX_DISPLAY_NAME ? name : undefined;
}

/** Descriptions: one paragraph of up to 500 characters ('' for none). */
export function descriptionOf(input: string | undefined): string | undefined {
  const description = oneLine(input);
  return description.length <= MAX_DESCRIPTION ? description : undefined;
}

/** Creates a wiki owned by `ownerDid` at `rawSlug` (the username rules apply to wiki addresses). */
export async function createWiki(wikis: Pick<WikiStore, 'create'>, ownerDid: string, rawSlug: string, rawName: string, now: number): Promise<Wiki> {
  const slug = checkUsername(rawSlug, 'wiki address');
  if (!slug.ok) throw new WikiManageError(422, 'slug', slug.message!);
  const displayName = displayNameOf(rawName);
  if (!displayName) throw new WikiManageError(422, 'display_name', `Give the wiki a name of 1 to ${MAX_DISPLAY_NAME} characters.`);
  try {
    return await wikis.create({ slug: slug.normalized, ownerDid, displayName }, now);
  } catch (error) {
    if (error instanceof SlugTakenError) throw new WikiManageError(409, 'slug', `The address "${slug.normalized}" is taken. Please choose another.`);
    throw error;
  }
}

/** Makes a named bearer token for a member of `wiki`; it never gets more than the member's role allows. */
export async function issueWikiToken(
  tokens: Pick<WikiTokenStore, 'create' | 'listForWiki'>,
  wiki: Wiki,
  holder: { did: string; role: Role },
  request: { name: string | undefined; access: string | undefined },
  now: number,
): Promise<{ token: string; made: WikiToken }> {
  const name = displayNameOf(request.name)?.slice(0, MAX_TOKEN_NAME);
  if (!name) throw new WikiManageError(422, 'token_name', 'Give the token a name, so you can tell it apart later.');
  if (request.access !== 'read' && request.access !== 'write') throw new WikiManageError(422, 'token_access', 'Choose read, or read and write.');
  if (request.access === 'write' && holder.role === 'read')
    throw new WikiManageError(422, 'token_access', 'You can read this wiki but not edit it, so your tokens can only read.');
  if ((await tokens.listForWiki(wiki.id)).length >= MAX_TOKENS_PER_WIKI)
    throw new WikiManageError(422, 'token_name', `A wiki has at most ${MAX_TOKENS_PER_WIKI} tokens. Revoke one first.`);
  const { token, hash } = newWikiToken();
  const scope = request.access === 'write' ? `${READ_SCOPE} ${WRITE_SCOPE}` : READ_SCOPE;
  const made = await tokens.create({ wikiId: wiki.id, ownerDid: holder.did, name, tokenHash: hash, scope }, now);
  return { token, made };
}
