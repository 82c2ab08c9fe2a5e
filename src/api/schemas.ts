// The management API's request and response bodies: one zod schema each, used both to check what
// arrives and to write the OpenAPI document (src/api/openapi.ts), so the two cannot drift apart.
import { z } from 'zod';
import { textSchema } from '../http/input-text.ts';

/** Every string a client sends follows the platform's text rule (catalogue IN-06). */
const line = textSchema('line');
const multiline = textSchema('multiline');

const seconds = z.int().nonnegative().describe('Unix time, seconds');
const slug = z.string().min(1).max(64).describe('The wiki address, as in /w/{slug}');
const role = z.enum(['owner', 'write', 'read']);

export const SlugParams = z.object({ slug });
export const IdParams = z.object({ id: z.string().min(1).max(100) });
export const WikiIdParams = z.object({ slug, id: z.string().min(1).max(100) });
export const MemberParams = z.object({ slug, did: z.string().min(1).max(2048).describe('The collaborator’s DID') });
export const PageParams = z.object({ slug, path: z.string().min(1).max(1024).describe('The page path; slashes separate its parts') });

export const Me = z.object({
  did: z.string(),
  handle: z.string().nullable(),
  username: z.string(),
  credential: z.enum(['cli', 'personal']).describe('What authenticated this request'),
});

export const PersonalToken = z.object({ id: z.string(), name: z.string(), created_at: seconds, last_used_at: seconds.nullable() });
export const PersonalTokenList = z.object({ tokens: z.array(PersonalToken) });
export const NewPersonalToken = z.object({ name: line.min(1).max(200) });
export const MadePersonalToken = PersonalToken.extend({ token: z.string().describe('Shown once; only its hash is kept') });

export const Wiki = z.object({ slug: z.string(), display_name: z.string(), role, anonymous_read: z.boolean(), created_at: seconds, url: z.url() });
export const WikiList = z.object({ wikis: z.array(Wiki) });
export const NewWiki = z.object({ slug: line.max(200), display_name: line.max(200).optional().describe('Defaults to the slug') });

export const Member = z.object({ did: z.string(), handle: z.string().nullable(), role: z.enum(['write', 'read']), added_at: seconds });
export const MemberList = z.object({ members: z.array(Member) });
export const MemberRole = z.object({ role: z.enum(['write', 'read']) });

export const WikiToken = z.object({
  id: z.string(),
  name: z.string(),
  access: z.enum(['read', 'write']),
  owner_did: z.string(),
  created_at: seconds,
  last_used_at: seconds.nullable(),
});
export const WikiTokenList = z.object({ tokens: z.array(WikiToken) });
export const NewWikiToken = z.object({ name: line.max(200), access: z.enum(['read', 'write']).default('write') });
export const MadeWikiToken = WikiToken.extend({ token: z.string().describe('A bearer token for the wiki’s MCP endpoint; shown once') });

export const PageSummary = z.object({ path: z.string(), revision: z.int(), size: z.int(), updated_at: seconds, updated_by: z.string() });
export const PageList = z.object({
  pages: z.array(PageSummary),
  next_cursor: z.string().optional().describe('Present when more pages follow: pass it as `cursor` for the next ones'),
});
export const PageQuery = z.object({
  prefix: line.max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: line.max(500).optional().describe('The `next_cursor` of the previous answer'),
});
export const Page = z.object({ path: z.string(), revision: z.int(), content: z.string(), updated_at: seconds, updated_by: z.string() });
export const PageWrite = z.object({
  content: multiline,
  base_revision: z.int().positive().optional().describe('The revision this text replaces; omit to create the page'),
  message: multiline.max(500).optional(),
});

export const Imported = z.object({
  wiki: Wiki,
  pages: z.int().describe('Pages written'),
  attachments: z.int().describe('Attachments written'),
  skipped: z.array(z.string()).describe('Files in the archive that are neither pages nor attachments'),
});
