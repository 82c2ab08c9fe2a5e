// /admin/: the platform administrators' page (ADMIN_DIDS, DESIGN.md §7). Anyone else gets a 403
// page; every POST needs an admin's session, its CSRF token and our Origin (web/app.tsx), and answers
// with the page saying what it did. Each action is recorded in audit_events.
import { Hono, type Context } from 'hono';
import type { Config } from '../config/config.ts';
import { AppError, formExpired } from '../errors/app-error.ts';
import { readForm, type Form } from '../http/form.ts';
import { utcMinute } from '../http/time.ts';
import type { Logger } from '../log.ts';
import { isSessionCsrf, sessionCsrf } from '../session/csrf.ts';
import { newInviteCode } from '../session/invites.ts';
import type { PlatformClaims } from '../session/platform-jwt.ts';
import type { SessionService } from '../session/sessions.ts';
import type { AdminStore } from '../store/admin.ts';
import type { AuditEventStore } from '../store/audit-events.ts';
import type { Invite, InviteStore } from '../store/invites.ts';
import { AdminPage, type AdminPageProps } from './pages.tsx';

/** Rows each list shows: the newest. Enough for a small server; a bigger one reads the database. */
const LIST_LIMIT = 200;
const INVITE_LIFETIME_SECONDS = 30 * 24 * 60 * 60;
const MAX_NOTE = 80;

/** What the admin page uses; the assembly passes its AppDeps (src/web/deps.ts). */
export interface AdminDeps {
  config: Pick<Config, 'adminDids' | 'signup'>;
  log: Logger;
  sessions: SessionService;
  admin: AdminStore;
  invites: InviteStore;
  auditEvents: AuditEventStore;
  now: () => number;
}

const adminsOnly = () => new AppError('forbidden', 403, 'This page is for the administrators of this server.', 'Administrators only');

const size = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function inviteState(invite: Invite, now: number): string {
  if (invite.used_at) return `used ${utcMinute(invite.used_at)}`;
  if (invite.revoked_at) return `revoked ${utcMinute(invite.revoked_at)}`;
  if (invite.expires_at <= now) return 'expired';
  return `unused, until ${utcMinute(invite.expires_at)}`;
}

export function adminRoutes(deps: AdminDeps): Hono {
  const { config, sessions, now } = deps;
  const app = new Hono();

  async function adminSession(c: Context): Promise<PlatformClaims | undefined> {
    const claims = await sessions.current(c, now());
    if (claims && !config.adminDids.has(claims.sub)) throw adminsOnly();
    return claims;
  }

  /** An admin's POST with their session's CSRF token, or an error page. */
  async function adminForm(c: Context): Promise<{ claims: PlatformClaims; form: Form }> {
    const form = await readForm(c);
    const claims = await adminSession(c);
    if (!claims || !isSessionCsrf(claims.sid, form.get('csrf'))) throw formExpired();
    return { claims, form };
  }

  async function render(c: Context, claims: PlatformClaims, extra: Pick<AdminPageProps, 'notice' | 'error' | 'newInvite'> = {}, status: 200 | 404 | 422 = 200) {
    const moment = now();
    const [users, wikis, invites, events] = await Promise.all([
      deps.admin.users(LIST_LIMIT),
      deps.admin.wikis(LIST_LIMIT),
      deps.invites.list(LIST_LIMIT),
      deps.auditEvents.recent(LIST_LIMIT),
    ]);
    return c.html(
      <AdminPage
        csrf={sessionCsrf(claims.sid)}
        signupMode={config.signup.mode}
        limit={LIST_LIMIT}
        users={users.map((user) => ({
          did: user.did,
          username: user.username,
          handle: user.handle,
          since: utcMinute(user.created_at),
          wikis: user.wikis,
          suspended: user.suspended_at !== null,
          isAdmin: config.adminDids.has(user.did),
        }))}
        wikis={wikis.map((wiki) => ({
          slug: wiki.slug,
          name: wiki.display_name,
          owner: wiki.owner_username ?? wiki.owner_did,
          since: utcMinute(wiki.created_at),
          pages: wiki.pages,
          size: size(wiki.bytes),
          suspended: wiki.suspended_at !== null,
        }))}
        invites={invites.map((invite) => ({
          id: invite.id,
          note: invite.note,
          created: utcMinute(invite.created_at),
          state: inviteState(invite, moment),
          revocable: !invite.used_at && !invite.revoked_at && invite.expires_at > moment,
        }))}
        events={events.map((event) => ({
          at: utcMinute(event.at),
          event: event.event,
          actor: event.actor_did ?? '',
          subject: event.subject ?? '',
          detail: event.detail ?? '',
        }))}
        {...extra}
      />,
      status,
    );
  }

  /** Records an admin action in the audit trail and the log. */
  async function record(c: Context, claims: PlatformClaims, event: string, subject: string, detail: string | null = null) {
    await deps.auditEvents.record({ event, actor_did: claims.sub, subject, detail }, now());
    deps.log.info({ event, did: claims.sub, subject, requestId: c.get('requestId') }, 'admin action');
  }

  app.get('/admin', (c) => c.redirect('/admin/', 301));
  app.get('/admin/', async (c) => {
    const claims = await adminSession(c);
    if (!claims) return c.redirect('/auth/login?return_to=%2Fadmin%2F', 303);
    return render(c, claims);
  });

  for (const [kind, field] of [
    ['users', 'did'],
    ['wikis', 'slug'],
  ] as const) {
    for (const action of ['suspend', 'reinstate'] as const) {
      app.post(`/admin/${kind}/${action}`, async (c) => {
        const { claims, form } = await adminForm(c);
        const target = form.get(field) ?? '';
        const what = kind === 'users' ? `the user ${target}` : `the wiki ${target}`;
        if (kind === 'users' && config.adminDids.has(target))
          return render(c, claims, { error: `${target} is an administrator (ADMIN_DIDS); take them off that list before suspending them.` }, 422);
        const at = action === 'suspend' ? now() : null;
        const changed = kind === 'users' ? await deps.admin.setUserSuspended(target, at) : await deps.admin.setWikiSuspended(target, at);
        if (!changed)
          return render(c, claims, { error: `Nothing changed: there is no ${what}, or it is already ${action === 'suspend' ? 'suspended' : 'active'}.` }, 404);
        await record(c, claims, `admin.${kind === 'users' ? 'user' : 'wiki'}.${action === 'suspend' ? 'suspended' : 'reinstated'}`, target);
        const notice =
          action === 'suspend'
            ? `Suspended ${what}. ${kind === 'users' ? 'Their sessions, apps and tokens stopped working.' : 'It now answers that it is suspended.'}`
            : `Reinstated ${what}. ${kind === 'users' ? 'They can log in again, and their apps and tokens work again.' : 'It is back.'}`;
        return render(c, claims, { notice });
      });
    }
  }

  app.post('/admin/invites', async (c) => {
    const { claims, form } = await adminForm(c);
    const note = (form.get('note') ?? '')
      .replace(/[\p{Cc}\p{Cf}]/gu, '')
      .trim()
      .replace(/\s+/g, ' ');
    if (note.length === 0 || note.length > MAX_NOTE) return render(c, claims, { error: `Say who the invite is for, in 1 to ${MAX_NOTE} characters.` }, 422);
    const { code, hash } = newInviteCode();
    const invite = await deps.invites.create({ codeHash: hash, note, expiresAt: now() + INVITE_LIFETIME_SECONDS }, now());
    await record(c, claims, 'admin.invite.created', invite.id, note);
    return render(c, claims, { notice: `Created an invite for “${note}”.`, newInvite: { code, note } });
  });

  app.post('/admin/invites/revoke', async (c) => {
    const { claims, form } = await adminForm(c);
    const id = form.get('id') ?? '';
    if (!(await deps.invites.revoke(id, now())))
      return render(c, claims, { error: 'Nothing changed: that invite does not exist, or was already used or revoked.' }, 404);
    await record(c, claims, 'admin.invite.revoked', id);
    return render(c, claims, { notice: 'Revoked the invite; it can no longer be used.' });
  });

  return app;
}
