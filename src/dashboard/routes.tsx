// The dashboard (/app/): your account, your wikis and connected apps; per wiki, connection
// instructions, bearer tokens, collaborators, anonymous read and deletion. Every POST needs the
// session's CSRF token (and passes the Origin check in web/app.tsx).
import { Hono, type Context } from 'hono';
import type { AtprotoLogin } from '../atproto/login.ts';
import { connectedAppName } from '../authserver/clients.ts';
import type { Config } from '../config/config.ts';
import { AppError, formExpired } from '../errors/app-error.ts';
import type { Logger } from '../log.ts';
import { isSessionCsrf, sessionCsrf } from '../session/csrf.ts';
import type { PlatformClaims } from '../session/platform-jwt.ts';
import type { SessionService } from '../session/sessions.ts';
import type { GrantStore } from '../store/grants.ts';
import { utcDay } from '../http/time.ts';
import type { User, UserStore } from '../store/users.ts';
import type { WikiTokenStore } from '../store/wiki-tokens.ts';
import type { Wiki, WikiStore } from '../store/wikis.ts';
import {
  DashboardPage,
  WikiSettingsPage,
  type ConnectedAppView,
  type CreateField,
  type FieldError,
  type SettingsField,
  type WikiSettingsProps,
} from './pages.tsx';
import { withDone } from '../http/flash.ts';
import { readForm, type Form } from '../http/form.ts';
import { roleOf, WRITE_SCOPE, type Role } from '../wiki/access.ts';
import {
  createWiki,
  descriptionOf,
  displayNameOf,
  issueWikiToken,
  MAX_DESCRIPTION,
  MAX_DISPLAY_NAME,
  MAX_TOKEN_NAME,
  WikiManageError,
} from '../wiki/manage.ts';
import { wikiUrls } from '../wiki/urls.ts';
import type { WikiPages } from '../wiki/pages.ts';
import { seedNewWiki } from '../wiki/seed.ts';

const noSuchWiki = () => new AppError('not_found', 404, 'There is no wiki here, or you are not one of its members.', 'Not found');
const ownersOnly = () => new AppError('forbidden', 403, 'Only the wiki’s owner can change this.', 'Not allowed');

/** What the dashboard uses; the assembly passes its AppDeps (src/web/deps.ts). */
export interface DashboardDeps {
  config: Config;
  log: Logger;
  sessions: SessionService;
  users: UserStore;
  wikis: WikiStore;
  grants: GrantStore;
  wikiTokens: WikiTokenStore;
  /** Writes a new wiki's first pages (src/wiki/seed.ts). */
  pages: Pick<WikiPages, 'write'>;
  /** Finds the account a collaborator is invited by (handle or DID). */
  login: Pick<AtprotoLogin, 'resolveAccount'>;
  now: () => number;
}

/** The apps connected to a person's wikis, as the dashboard and the account page list them. */
export async function connectedApps(grants: Pick<GrantStore, 'listForUser'>, did: string): Promise<ConnectedAppView[]> {
  return (await grants.listForUser(did)).map((grant) => ({
    grantId: grant.grantId,
    name: connectedAppName(grant.clientId, grant.clientMetadata),
    wiki: grant.wikiName,
    scopes: grant.scope.split(' ').includes(WRITE_SCOPE) ? 'read & write' : 'read only',
    connectedAt: utcDay(grant.createdAt),
  }));
}

export function dashboardRoutes(deps: DashboardDeps): Hono {
  const { sessions, users, wikis, log, now } = deps;
  const app = new Hono();

  async function signedIn(c: Context): Promise<{ claims: PlatformClaims; user: User } | undefined> {
    const claims = await sessions.current(c, now());
    const user = claims ? await users.findByDid(claims.sub) : undefined;
    return claims && user ? { claims, user } : undefined;
  }

  /** A signed-in POST with a valid CSRF token, or an error. */
  async function signedInForm(c: Context): Promise<{ claims: PlatformClaims; user: User; form: Form }> {
    const form = await readForm(c);
    const session = await signedIn(c);
    if (!session || !isSessionCsrf(session.claims.sid, form.get('csrf'))) throw formExpired();
    return { ...session, form };
  }

  /** The wiki named in the path, if this person is a member; otherwise it does not exist for them. */
  async function memberWiki(c: Context, did: string): Promise<{ wiki: Wiki; role: Role }> {
    const wiki = await wikis.findBySlug(c.req.param('slug') ?? '');
    const role = wiki ? await roleOf(wikis, wiki, did) : undefined;
    if (!wiki || !role) throw noSuchWiki();
    return { wiki, role };
  }

  async function renderHome(
    c: Context,
    session: { claims: PlatformClaims; user: User },
    create?: { error: FieldError<CreateField>; slug: string; name: string },
    status: 200 | 409 | 422 = 200,
  ) {
    const { user, claims } = session;
    const apps = await connectedApps(deps.grants, user.did);
    const mine = (await wikis.listForMember(user.did)).map((wiki) => ({
      slug: wiki.slug,
      name: wiki.display_name,
      role: wiki.role,
      viewUrl: wikiUrls(deps.config, wiki.slug).base,
    }));
    return c.html(
      <DashboardPage
        did={user.did}
        handle={user.handle}
        username={user.username}
        wikis={mine}
        apps={apps}
        csrf={sessionCsrf(claims.sid)}
        createError={create?.error}
        createSlug={create?.slug}
        createName={create?.name}
      />,
      status,
    );
  }

  async function renderWiki(
    c: Context,
    session: { claims: PlatformClaims; user: User },
    wiki: Wiki,
    role: Role,
    extra: Pick<WikiSettingsProps, 'error' | 'typed' | 'newToken'> = {},
    status: 200 | 400 | 422 | 503 = 200,
  ) {
    const isOwner = role === 'owner';
    const members = isOwner ? (await wikis.members(wiki.id)).map((member) => ({ did: member.did, role: member.role, handle: member.handle })) : [];
    const tokens = (await deps.wikiTokens.listForWiki(wiki.id))
      .filter((token) => isOwner || token.owner_did === session.user.did)
      .map((token) => ({
        id: token.id,
        name: token.name,
        access: token.scope.includes(WRITE_SCOPE) ? 'read and write' : 'read',
        createdAt: utcDay(token.created_at),
        lastUsed: utcDay(token.last_used_at),
        mine: token.owner_did === session.user.did,
      }));
    const urls = wikiUrls(deps.config, wiki.slug);
    return c.html(
      <WikiSettingsPage
        slug={wiki.slug}
        name={wiki.display_name}
        description={wiki.description}
        role={role}
        isOwner={isOwner}
        viewUrl={urls.base}
        mcpUrl={urls.mcp}
        anonymousRead={wiki.anonymous_read === 1}
        members={members}
        tokens={tokens}
        csrf={sessionCsrf(session.claims.sid)}
        {...extra}
      />,
      status,
    );
  }

  app.get('/app/', async (c) => {
    const session = await signedIn(c);
    if (!session) return c.redirect('/auth/login?return_to=%2Fapp%2F', 303);
    return renderHome(c, session);
  });

  app.post('/app/apps/:grantId/revoke', async (c) => {
    const { claims } = await signedInForm(c);
    if (await deps.grants.revokeForUser(c.req.param('grantId'), claims.sub, now())) {
      log.info({ event: 'oauth.grant.revoked_by_user', did: claims.sub }, 'connected app disconnected');
    }
    return c.redirect(withDone('/app/', 'app-disconnected'), 303);
  });

  app.post('/app/wikis', async (c) => {
    const session = await signedInForm(c);
    const rawSlug = session.form.get('slug') ?? '';
    const rawName = session.form.get('display_name') ?? '';
    const again = (field: CreateField, message: string, status: 409 | 422) =>
      renderHome(c, session, { error: { field, message }, slug: rawSlug.slice(0, 64), name: rawName.slice(0, MAX_DISPLAY_NAME) }, status);
    let wiki: Wiki;
    try {
      wiki = await createWiki(wikis, session.user.did, rawSlug, rawName, now());
      await seedNewWiki(deps.pages, wiki, wikiUrls(deps.config, wiki.slug).mcp);
    } catch (error) {
      // A wiki is created from its address and name only: the form has no token fields.
      if (error instanceof WikiManageError) return again(error.field as CreateField, error.message, error.status);
      throw error;
    }
    log.info({ event: 'wiki.created', did: session.user.did, slug: wiki.slug }, 'wiki created');
    return c.redirect(withDone(`/app/wikis/${wiki.slug}`, 'wiki-created'), 303);
  });

  app.get('/app/wikis/:slug', async (c) => {
    const session = await signedIn(c);
    if (!session) return c.redirect(`/auth/login?${new URLSearchParams({ return_to: c.req.path })}`, 303);
    const { wiki, role } = await memberWiki(c, session.user.did);
    return renderWiki(c, session, wiki, role);
  });

  app.post('/app/wikis/:slug/tokens', async (c) => {
    const session = await signedInForm(c);
    const { wiki, role } = await memberWiki(c, session.user.did);
    const typed = { token_name: (session.form.get('name') ?? '').slice(0, MAX_TOKEN_NAME) };
    let issued: Awaited<ReturnType<typeof issueWikiToken>>;
    try {
      issued = await issueWikiToken(
        deps.wikiTokens,
        wiki,
        { did: session.user.did, role },
        { name: session.form.get('name'), access: session.form.get('access') },
        now(),
      );
    } catch (error) {
      if (error instanceof WikiManageError)
        return renderWiki(c, session, wiki, role, { error: { field: error.field as SettingsField, message: error.message }, typed }, 422);
      throw error;
    }
    const { made, token } = issued;
    log.info({ event: 'wiki.token.created', wikiId: wiki.id, tokenId: made.id, did: session.user.did }, 'bearer token made');
    return renderWiki(c, session, wiki, role, { newToken: { name: made.name, token } });
  });

  app.post('/app/wikis/:slug/tokens/:id/revoke', async (c) => {
    const session = await signedInForm(c);
    const { wiki, role } = await memberWiki(c, session.user.did);
    const token = (await deps.wikiTokens.listForWiki(wiki.id)).find((candidate) => candidate.id === c.req.param('id'));
    if (token && (role === 'owner' || token.owner_did === session.user.did)) {
      await deps.wikiTokens.revoke(wiki.id, token.id);
      log.info({ event: 'wiki.token.revoked', wikiId: wiki.id, tokenId: token.id, did: session.user.did }, 'bearer token revoked');
    }
    return c.redirect(withDone(`/app/wikis/${wiki.slug}`, 'token-revoked'), 303);
  });

  app.post('/app/wikis/:slug/members', async (c) => {
    const session = await signedInForm(c);
    const { wiki, role } = await memberWiki(c, session.user.did);
    if (role !== 'owner') throw ownersOnly();
    const memberRole = session.form.get('role');
    const typed = { member: (session.form.get('account') ?? '').slice(0, 256) };
    const refuse = (field: SettingsField, message: string, status: 422 | 503 = 422) =>
      renderWiki(c, session, wiki, role, { error: { field, message }, typed }, status);
    if (memberRole !== 'read' && memberRole !== 'write') return refuse('member_role', 'Choose whether they can read or edit.');
    let account: { did: string; handle: string | null };
    try {
      account = await deps.login.resolveAccount(session.form.get('account') ?? '');
    } catch (error) {
      if (error instanceof AppError) return refuse('member', error.message, error.status < 500 ? 422 : 503);
      throw error;
    }
    if (account.did === wiki.owner_did) return refuse('member', 'That is the owner of this wiki.');
    await wikis.setMember({ wikiId: wiki.id, did: account.did, handle: account.handle, role: memberRole }, now());
    log.info({ event: 'wiki.member.set', wikiId: wiki.id, member: account.did, role: memberRole, did: session.user.did }, 'collaborator added or changed');
    return c.redirect(withDone(`/app/wikis/${wiki.slug}`, 'member-saved'), 303);
  });

  app.post('/app/wikis/:slug/members/remove', async (c) => {
    const session = await signedInForm(c);
    const { wiki, role } = await memberWiki(c, session.user.did);
    if (role !== 'owner') throw ownersOnly();
    const did = session.form.get('did') ?? '';
    if (await wikis.removeMember(wiki.id, did, now()))
      log.info({ event: 'wiki.member.removed', wikiId: wiki.id, member: did, did: session.user.did }, 'collaborator removed');
    return c.redirect(withDone(`/app/wikis/${wiki.slug}`, 'member-removed'), 303);
  });

  app.post('/app/wikis/:slug/access', async (c) => {
    const session = await signedInForm(c);
    const { wiki, role } = await memberWiki(c, session.user.did);
    if (role !== 'owner') throw ownersOnly();
    const enabled = session.form.get('anonymous_read') === 'on';
    await wikis.setAnonymousRead(wiki.id, enabled);
    log.info({ event: 'wiki.access.set', wikiId: wiki.id, anonymousRead: enabled, did: session.user.did }, 'wiki access changed');
    return c.redirect(withDone(`/app/wikis/${wiki.slug}`, 'access-saved'), 303);
  });

  app.post('/app/wikis/:slug/settings', async (c) => {
    const session = await signedInForm(c);
    const { wiki, role } = await memberWiki(c, session.user.did);
    if (role !== 'owner') throw ownersOnly();
    const rawName = session.form.get('display_name') ?? '';
    const rawDescription = session.form.get('description') ?? '';
    const typed = { display_name: rawName.slice(0, MAX_DISPLAY_NAME), description: rawDescription.slice(0, MAX_DESCRIPTION) };
    const refuse = (field: SettingsField, message: string) => renderWiki(c, session, wiki, role, { error: { field, message }, typed }, 422);
    const displayName = displayNameOf(rawName);
    if (!displayName) return refuse('display_name', `Give the wiki a name of 1 to ${MAX_DISPLAY_NAME} characters.`);
    const description = descriptionOf(rawDescription);
    if (description === undefined) return refuse('description', `Keep the description to ${MAX_DESCRIPTION} characters.`);
    await wikis.setDetails(wiki.id, { displayName, description });
    log.info({ event: 'wiki.details.set', wikiId: wiki.id, did: session.user.did }, 'wiki name and description changed');
    return c.redirect(withDone(`/app/wikis/${wiki.slug}`, 'settings-saved'), 303);
  });

  app.post('/app/wikis/:slug/delete', async (c) => {
    const session = await signedInForm(c);
    const { wiki, role } = await memberWiki(c, session.user.did);
    if (role !== 'owner') throw ownersOnly();
    if (session.form.get('confirm') !== wiki.slug)
      return renderWiki(c, session, wiki, role, { error: { field: 'confirm', message: `To delete the wiki, type its address "${wiki.slug}" exactly.` } }, 422);
    await wikis.delete(wiki.id);
    log.info({ event: 'wiki.deleted', wikiId: wiki.id, slug: wiki.slug, did: session.user.did }, 'wiki deleted');
    return c.redirect(withDone('/app/', 'wiki-deleted'), 303);
  });

  return app;
}
