// Every operation of the management API, once: method, path, schemas and handler. The router
// (./routes.ts) and the OpenAPI document (./openapi.ts) are both made from this list.
import type { z } from 'zod';
import type { AtprotoLogin } from '../atproto/login.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log.ts';
import type { SessionService } from '../session/sessions.ts';
import type { PersonalTokenStore } from '../store/personal-tokens.ts';
import type { UserStore } from '../store/users.ts';
import type { WikiToken, WikiTokenStore } from '../store/wiki-tokens.ts';
import type { Wiki, WikiStore } from '../store/wikis.ts';
import { roleOf, WRITE_SCOPE, type Role } from '../wiki/access.ts';
import { exportWiki, importWiki, readArchive } from '../wiki/archive.ts';
import { attachmentArchive } from '../wiki/attachment-archive.ts';
import type { WikiAttachments } from '../wiki/attachments.ts';
import { createWiki, displayNameOf, issueWikiToken } from '../wiki/manage.ts';
import type { WikiPages } from '../wiki/pages.ts';
import { seedNewWiki } from '../wiki/seed.ts';
import { wikiUrls } from '../wiki/urls.ts';
import { newPersonalToken, type Caller, type CredentialDeps } from './credentials.ts';
import { ApiProblem } from './problem.ts';
import * as s from './schemas.ts';

export interface ApiDeps extends CredentialDeps {
  config: Config;
  log: Logger;
  sessions: Pick<SessionService, 'cliBearer' | 'revoke'>;
  users: Pick<UserStore, 'findByDid'>;
  wikis: WikiStore;
  pages: WikiPages;
  wikiTokens: WikiTokenStore;
  personalTokens: PersonalTokenStore;
  login: Pick<AtprotoLogin, 'resolveAccount'>;
  attachments: WikiAttachments;
}

/** A zip archive travels as raw bytes, not JSON. */
export const ZIP = 'application/zip';

type Schema = z.ZodType;
type Input<T> = T extends Schema ? z.output<T> : undefined;

export interface OperationRequest<P, Q, B> {
  caller: Caller;
  params: Input<P>;
  query: Input<Q>;
  body: B extends typeof ZIP ? Uint8Array : Input<B>;
}

export interface Operation {
  id: string;
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI form: `/wikis/{slug}`; a `{path}` parameter may hold slashes. */
  path: string;
  summary: string;
  params?: Schema;
  query?: Schema;
  body?: Schema | typeof ZIP;
  status: 200 | 201 | 204;
  response?: Schema | typeof ZIP;
  /** The problem statuses this operation may answer, besides 401 and 5xx. */
  problems: number[];
  handle(request: { caller: Caller; params: unknown; query: unknown; body: unknown }, deps: ApiDeps): Promise<unknown>;
}

function operation<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | typeof ZIP | undefined>(
  definition: Omit<Operation, 'handle' | 'params' | 'query' | 'body'> & {
    params?: P;
    query?: Q;
    body?: B;
    handle(request: OperationRequest<P, Q, B>, deps: ApiDeps): Promise<unknown>;
  },
): Operation {
  return definition as unknown as Operation;
}

const noSuchWiki = () => new ApiProblem(404, 'not_found', 'There is no such wiki, or you are not one of its members.');
const ownersOnly = () => new ApiProblem(403, 'forbidden', 'Only the wiki’s owner can do this.');
const readersOnly = () => new ApiProblem(403, 'forbidden', 'You can read this wiki but not edit it.');

/** The wiki named in the path, if the caller is a member; otherwise it does not exist for them. */
async function memberWiki(deps: ApiDeps, slug: string, caller: Caller): Promise<{ wiki: Wiki; role: Role }> {
  const wiki = await deps.wikis.findBySlug(slug);
  const role = wiki ? await roleOf(deps.wikis, wiki, caller.did) : undefined;
  if (!wiki || !role) throw noSuchWiki();
  return { wiki, role };
}

async function ownedWiki(deps: ApiDeps, slug: string, caller: Caller): Promise<Wiki> {
  const { wiki, role } = await memberWiki(deps, slug, caller);
  if (role !== 'owner') throw ownersOnly();
  return wiki;
}

const wikiView = (deps: ApiDeps, wiki: Wiki, role: Role): z.input<typeof s.Wiki> => ({
  slug: wiki.slug,
  display_name: wiki.display_name,
  role,
  anonymous_read: wiki.anonymous_read === 1,
  created_at: wiki.created_at,
  url: wikiUrls(deps.config, wiki.slug).base,
});

const tokenView = (token: WikiToken): z.input<typeof s.WikiToken> => ({
  id: token.id,
  name: token.name,
  access: token.scope.split(' ').includes(WRITE_SCOPE) ? 'write' : 'read',
  owner_did: token.owner_did,
  created_at: token.created_at,
  last_used_at: token.last_used_at,
});

/** The archive's bounds: what one wiki may hold, pages and attachments together, and each file's own limit. */
const archiveLimits = (config: Config) => ({ ...config.pageLimits, attachmentBytes: config.attachmentMaxBytes });

export const OPERATIONS: Operation[] = [
  operation({
    id: 'getMe',
    method: 'get',
    path: '/me',
    summary: 'Who the credential belongs to',
    status: 200,
    response: s.Me,
    problems: [],
    async handle({ caller }, deps) {
      const user = await deps.users.findByDid(caller.did);
      if (!user) throw new ApiProblem(401, 'invalid_token', 'This account no longer exists.');
      return { did: user.did, handle: user.handle, username: user.username, credential: caller.credential.kind };
    },
  }),
  operation({
    id: 'endSession',
    method: 'delete',
    path: '/session',
    summary: 'Revoke the credential this request carries (robot logout)',
    status: 204,
    problems: [],
    async handle({ caller }, deps) {
      if (caller.credential.kind === 'cli') await deps.sessions.revoke(caller.credential.sid, deps.now());
      else await deps.personalTokens.revoke(caller.did, caller.credential.id);
      deps.log.info({ event: 'api.credential.revoked', did: caller.did, kind: caller.credential.kind }, 'credential revoked by its holder');
    },
  }),
  operation({
    id: 'listPersonalTokens',
    method: 'get',
    path: '/personal-tokens',
    summary: 'Your personal access tokens',
    status: 200,
    response: s.PersonalTokenList,
    problems: [],
    async handle({ caller }, deps) {
      return { tokens: (await deps.personalTokens.listForUser(caller.did)).map(({ user_did: _, ...token }) => token) };
    },
  }),
  operation({
    id: 'createPersonalToken',
    method: 'post',
    path: '/personal-tokens',
    summary: 'Make a personal access token for this API (shown once)',
    body: s.NewPersonalToken,
    status: 201,
    response: s.MadePersonalToken,
    problems: [400, 422],
    async handle({ caller, body }, deps) {
      const name = displayNameOf(body.name);
      if (!name) throw new ApiProblem(422, 'invalid_input', 'Give the token a name, so you can tell it apart later.');
      const { token, hash } = newPersonalToken();
      const made = await deps.personalTokens.create({ userDid: caller.did, name, tokenHash: hash }, deps.now());
      deps.log.info({ event: 'api.personal_token.created', did: caller.did, tokenId: made.id }, 'personal access token made');
      const { user_did: _, ...view } = made;
      return { ...view, token };
    },
  }),
  operation({
    id: 'revokePersonalToken',
    method: 'delete',
    path: '/personal-tokens/{id}',
    summary: 'Revoke one of your personal access tokens',
    params: s.IdParams,
    status: 204,
    problems: [404],
    async handle({ caller, params }, deps) {
      if (!(await deps.personalTokens.revoke(caller.did, params.id))) throw new ApiProblem(404, 'not_found', 'You have no token with that id.');
      deps.log.info({ event: 'api.personal_token.revoked', did: caller.did, tokenId: params.id }, 'personal access token revoked');
    },
  }),
  operation({
    id: 'listWikis',
    method: 'get',
    path: '/wikis',
    summary: 'The wikis you own or collaborate on',
    status: 200,
    response: s.WikiList,
    problems: [],
    async handle({ caller }, deps) {
      return { wikis: (await deps.wikis.listForMember(caller.did)).map((wiki) => wikiView(deps, wiki, wiki.role)) };
    },
  }),
  operation({
    id: 'createWiki',
    method: 'post',
    path: '/wikis',
    summary: 'Make a wiki you own',
    body: s.NewWiki,
    status: 201,
    response: s.Wiki,
    problems: [400, 409, 422],
    async handle({ caller, body }, deps) {
      const wiki = await createWiki(deps.wikis, caller.did, body.slug, body.display_name ?? body.slug, deps.now());
      // Like the dashboard's: a new wiki starts with its Home page and how to connect an assistant.
      await seedNewWiki(deps.pages, wiki, wikiUrls(deps.config, wiki.slug).mcp);
      deps.log.info({ event: 'wiki.created', did: caller.did, slug: wiki.slug }, 'wiki created');
      return wikiView(deps, wiki, 'owner');
    },
  }),
  operation({
    id: 'getWiki',
    method: 'get',
    path: '/wikis/{slug}',
    summary: 'One of your wikis',
    params: s.SlugParams,
    status: 200,
    response: s.Wiki,
    problems: [404],
    async handle({ caller, params }, deps) {
      const { wiki, role } = await memberWiki(deps, params.slug, caller);
      return wikiView(deps, wiki, role);
    },
  }),
  operation({
    id: 'deleteWiki',
    method: 'delete',
    path: '/wikis/{slug}',
    summary: 'Delete a wiki you own, with its pages, history, collaborators and tokens',
    params: s.SlugParams,
    status: 204,
    problems: [403, 404],
    async handle({ caller, params }, deps) {
      const wiki = await ownedWiki(deps, params.slug, caller);
      await deps.wikis.delete(wiki.id);
      deps.log.info({ event: 'wiki.deleted', wikiId: wiki.id, slug: wiki.slug, did: caller.did }, 'wiki deleted');
    },
  }),
  operation({
    id: 'listMembers',
    method: 'get',
    path: '/wikis/{slug}/members',
    summary: 'The collaborators of a wiki you own',
    params: s.SlugParams,
    status: 200,
    response: s.MemberList,
    problems: [403, 404],
    async handle({ caller, params }, deps) {
      const wiki = await ownedWiki(deps, params.slug, caller);
      return { members: (await deps.wikis.members(wiki.id)).map(({ wiki_id: _, ...member }) => member) };
    },
  }),
  operation({
    id: 'setMember',
    method: 'put',
    path: '/wikis/{slug}/members/{did}',
    summary: 'Add a collaborator (by DID or handle) or change their role',
    params: s.MemberParams,
    body: s.MemberRole,
    status: 200,
    response: s.Member,
    problems: [400, 403, 404, 422],
    async handle({ caller, params, body }, deps) {
      const wiki = await ownedWiki(deps, params.slug, caller);
      const account = await deps.login.resolveAccount(params.did);
      if (account.did === wiki.owner_did) throw new ApiProblem(422, 'invalid_input', 'That is the owner of this wiki.');
      const now = deps.now();
      await deps.wikis.setMember({ wikiId: wiki.id, did: account.did, handle: account.handle, role: body.role }, now);
      deps.log.info({ event: 'wiki.member.set', wikiId: wiki.id, member: account.did, role: body.role, did: caller.did }, 'collaborator added or changed');
      const member = (await deps.wikis.member(wiki.id, account.did))!;
      return { did: member.did, handle: member.handle, role: member.role, added_at: member.added_at };
    },
  }),
  operation({
    id: 'removeMember',
    method: 'delete',
    path: '/wikis/{slug}/members/{did}',
    summary: 'Remove a collaborator; their grants and tokens for this wiki end',
    params: s.MemberParams,
    status: 204,
    problems: [403, 404],
    async handle({ caller, params }, deps) {
      const wiki = await ownedWiki(deps, params.slug, caller);
      if (!(await deps.wikis.removeMember(wiki.id, params.did, deps.now()))) throw new ApiProblem(404, 'not_found', 'That person is not a collaborator here.');
      deps.log.info({ event: 'wiki.member.removed', wikiId: wiki.id, member: params.did, did: caller.did }, 'collaborator removed');
    },
  }),
  operation({
    id: 'listWikiTokens',
    method: 'get',
    path: '/wikis/{slug}/tokens',
    summary: 'Bearer tokens of a wiki (the owner sees all, others their own)',
    params: s.SlugParams,
    status: 200,
    response: s.WikiTokenList,
    problems: [404],
    async handle({ caller, params }, deps) {
      const { wiki, role } = await memberWiki(deps, params.slug, caller);
      const tokens = (await deps.wikiTokens.listForWiki(wiki.id)).filter((token) => role === 'owner' || token.owner_did === caller.did);
      return { tokens: tokens.map(tokenView) };
    },
  }),
  operation({
    id: 'createWikiToken',
    method: 'post',
    path: '/wikis/{slug}/tokens',
    summary: 'Make a bearer token for the wiki’s MCP endpoint (shown once)',
    params: s.SlugParams,
    body: s.NewWikiToken,
    status: 201,
    response: s.MadeWikiToken,
    problems: [400, 404, 422],
    async handle({ caller, params, body }, deps) {
      const { wiki, role } = await memberWiki(deps, params.slug, caller);
      const { token, made } = await issueWikiToken(deps.wikiTokens, wiki, { did: caller.did, role }, body, deps.now());
      deps.log.info({ event: 'wiki.token.created', wikiId: wiki.id, tokenId: made.id, did: caller.did }, 'bearer token made');
      return { ...tokenView(made), token };
    },
  }),
  operation({
    id: 'revokeWikiToken',
    method: 'delete',
    path: '/wikis/{slug}/tokens/{id}',
    summary: 'Revoke a bearer token (the owner may revoke any)',
    params: s.WikiIdParams,
    status: 204,
    problems: [404],
    async handle({ caller, params }, deps) {
      const { wiki, role } = await memberWiki(deps, params.slug, caller);
      const token = (await deps.wikiTokens.listForWiki(wiki.id)).find((candidate) => candidate.id === params.id);
      if (!token || (role !== 'owner' && token.owner_did !== caller.did)) throw new ApiProblem(404, 'not_found', 'There is no such token of yours here.');
      await deps.wikiTokens.revoke(wiki.id, token.id);
      deps.log.info({ event: 'wiki.token.revoked', wikiId: wiki.id, tokenId: token.id, did: caller.did }, 'bearer token revoked');
    },
  }),
  operation({
    id: 'listPages',
    method: 'get',
    path: '/wikis/{slug}/pages',
    summary: 'Pages of a wiki, by path',
    params: s.SlugParams,
    query: s.PageQuery,
    status: 200,
    response: s.PageList,
    problems: [400, 404],
    async handle({ caller, params, query }, deps) {
      const { wiki } = await memberWiki(deps, params.slug, caller);
      const listed = await deps.pages.list(wiki.id, { prefix: query.prefix, limit: query.limit, cursor: query.cursor });
      return { pages: listed.items, ...(listed.nextCursor ? { next_cursor: listed.nextCursor } : {}) };
    },
  }),
  operation({
    id: 'readPage',
    method: 'get',
    path: '/wikis/{slug}/pages/{path}',
    summary: 'A page’s current text',
    params: s.PageParams,
    status: 200,
    response: s.Page,
    problems: [404, 422],
    async handle({ caller, params }, deps) {
      const { wiki } = await memberWiki(deps, params.slug, caller);
      const page = await deps.pages.read(wiki.id, params.path);
      return { path: page.path, revision: page.revision, content: page.content, updated_at: page.updatedAt, updated_by: page.updatedBy };
    },
  }),
  operation({
    id: 'writePage',
    method: 'put',
    path: '/wikis/{slug}/pages/{path}',
    summary: 'Create a page, or replace its text (base_revision guards against lost updates)',
    params: s.PageParams,
    body: s.PageWrite,
    status: 200,
    response: s.PageSummary,
    problems: [400, 403, 404, 409, 413, 422],
    async handle({ caller, params, body }, deps) {
      const { wiki, role } = await memberWiki(deps, params.slug, caller);
      if (role === 'read') throw readersOnly();
      const page = await deps.pages.write(wiki.id, caller.did, {
        path: params.path,
        content: body.content,
        baseRevision: body.base_revision,
        message: body.message,
      });
      return { path: page.path, revision: page.revision, size: page.size, updated_at: page.updated_at, updated_by: page.updated_by };
    },
  }),
  operation({
    id: 'exportWiki',
    method: 'get',
    path: '/wikis/{slug}/archive',
    summary: 'The wiki as a zip: pages as Markdown, attachments, and manifest.json with every revision',
    params: s.SlugParams,
    status: 200,
    response: ZIP,
    problems: [404],
    async handle({ caller, params }, deps) {
      const { wiki } = await memberWiki(deps, params.slug, caller);
      return exportWiki({ pages: deps.pages, attachments: attachmentArchive(deps.pages, deps.attachments) }, wiki, deps.now());
    },
  }),
  operation({
    id: 'importWiki',
    method: 'post',
    path: '/wikis/{slug}/archive',
    summary: 'Make a new wiki at {slug} from a zip (an export, or any zip of Markdown files)',
    params: s.SlugParams,
    body: ZIP,
    status: 201,
    response: s.Imported,
    problems: [400, 409, 413, 415, 422],
    async handle({ caller, params, body }, deps) {
      const contents = await readArchive(body, archiveLimits(deps.config));
      const archive = { wikis: deps.wikis, pages: deps.pages, attachments: attachmentArchive(deps.pages, deps.attachments) };
      const wiki = await importWiki(archive, caller.did, params.slug, contents, deps.now());
      deps.log.info({ event: 'wiki.imported', wikiId: wiki.id, slug: wiki.slug, did: caller.did, pages: contents.pages.length }, 'wiki imported');
      return { wiki: wikiView(deps, wiki, 'owner'), pages: contents.pages.length, attachments: contents.attachments.length, skipped: contents.skipped };
    },
  }),
];

/** The largest zip the import accepts: what a wiki may hold, and as much again (see archiveLimits). */
export const maxArchiveBytes = (config: Config) => config.pageLimits.wikiBytes * 2;
