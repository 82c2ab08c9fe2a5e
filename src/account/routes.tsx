// /app/account: the account page and "Delete my account". Deletion needs the session's CSRF token
// (and our Origin, web/app.tsx), the handle typed out, and a choice for each owned wiki: deleted, or
// handed to one of its collaborators. The store does it all in one transaction (store/accounts.ts).
import { Hono, type Context } from 'hono';
import type { AtprotoLogin } from '../atproto/login.ts';
import { formExpired } from '../errors/app-error.ts';
import { SESSION_COOKIE, type CookieJar } from '../http/cookies.ts';
import { readForm, type Form } from '../http/form.ts';
import { utcDay, utcMinute } from '../http/time.ts';
import type { Logger } from '../log.ts';
import { isSessionCsrf, sessionCsrf } from '../session/csrf.ts';
import type { PlatformClaims } from '../session/platform-jwt.ts';
import type { SessionService } from '../session/sessions.ts';
import type { Account, AccountStore, WikiDisposal } from '../store/accounts.ts';
import type { GrantStore } from '../store/grants.ts';
import type { WikiStore } from '../store/wikis.ts';
import { WRITE_SCOPE } from '../wiki/access.ts';
import { connectedApps } from '../dashboard/routes.tsx';
import { AccountDeletedPage, AccountPage, type OwnedWikiView } from './pages.tsx';

/** What the account page uses; the assembly passes its AppDeps (src/web/deps.ts). */
export interface AccountDeps {
  log: Logger;
  sessions: SessionService;
  cookies: CookieJar;
  accounts: AccountStore;
  wikis: Pick<WikiStore, 'listForMember' | 'members'>;
  grants: Pick<GrantStore, 'listForUser'>;
  /** Ends the person's atproto OAuth session at their account server once the account is gone. */
  login: Pick<AtprotoLogin, 'revoke'>;
  now: () => number;
}

const confirmWordOf = (account: Account) => account.handle ?? account.username;

export function accountRoutes(deps: AccountDeps): Hono {
  const { sessions, accounts, now } = deps;
  const app = new Hono();

  async function signedIn(c: Context): Promise<{ claims: PlatformClaims; account: Account } | undefined> {
    const claims = await sessions.current(c, now());
    const account = claims ? await accounts.find(claims.sub) : undefined;
    return claims && account ? { claims, account } : undefined;
  }

  /** The wikis the person owns, each with its collaborators; `chosen` from a form that came back. */
  async function ownedWikis(did: string, form?: Form): Promise<OwnedWikiView[]> {
    const owned = (await deps.wikis.listForMember(did)).filter((wiki) => wiki.role === 'owner');
    return Promise.all(
      owned.map(async (wiki) => ({
        id: wiki.id,
        slug: wiki.slug,
        name: wiki.display_name,
        heirs: (await deps.wikis.members(wiki.id)).map((member) => ({ did: member.did, label: member.handle ? `@${member.handle}` : member.did })),
        chosen: form?.get(`wiki:${wiki.id}`) ?? 'delete',
      })),
    );
  }

  async function render(c: Context, session: { claims: PlatformClaims; account: Account }, form?: Form, deleteError?: string) {
    const { account, claims } = session;
    const apps = await connectedApps(deps.grants, account.did);
    const tokens = (await accounts.tokens(account.did)).map((token) => ({
      name: token.name,
      wikiSlug: token.wiki_slug,
      wikiName: token.wiki_name,
      access: token.scope.split(' ').includes(WRITE_SCOPE) ? 'read and write' : 'read',
      createdAt: utcDay(token.created_at),
      lastUsed: utcDay(token.last_used_at),
    }));
    return c.html(
      <AccountPage
        did={account.did}
        handle={account.handle}
        username={account.username}
        since={utcMinute(account.created_at)}
        apps={apps}
        tokens={tokens}
        owned={await ownedWikis(account.did, form)}
        csrf={sessionCsrf(claims.sid)}
        confirmWord={confirmWordOf(account)}
        deleteError={deleteError}
      />,
      deleteError ? 422 : 200,
    );
  }

  app.get('/app/account', async (c) => {
    const session = await signedIn(c);
    if (!session) return c.redirect('/auth/login?return_to=%2Fapp%2Faccount', 303);
    return render(c, session);
  });

  app.post('/app/account/delete', async (c) => {
    const form = await readForm(c);
    const session = await signedIn(c);
    if (!session || !isSessionCsrf(session.claims.sid, form.get('csrf'))) throw formExpired();
    const { account } = session;
    const word = confirmWordOf(account);
    if ((form.get('confirm') ?? '').trim().replace(/^@/, '') !== word)
      return render(c, session, form, `To delete your account, type ${word} exactly. Nothing was deleted.`);

    const owned = await ownedWikis(account.did);
    const disposals: WikiDisposal[] = [];
    for (const wiki of owned) {
      const choice = form.get(`wiki:${wiki.id}`) ?? '';
      if (choice !== 'delete' && !wiki.heirs.some((heir) => heir.did === choice))
        return render(c, session, form, `Choose what happens to ${wiki.name}: delete it, or give it to one of its collaborators. Nothing was deleted.`);
      disposals.push(choice === 'delete' ? { wikiId: wiki.id } : { wikiId: wiki.id, transferTo: choice });
    }

    // First, while the atproto session is still stored: the account server revokes its tokens too.
    await deps.login.revoke(account.did);
    const outcome = await accounts.delete(account.did, disposals, now());
    if (outcome.kind === 'changed')
      return render(c, session, undefined, 'Your wikis or their collaborators changed while you were choosing. Check the choices again. Nothing was deleted.');
    deps.cookies.clear(c, SESSION_COOKIE);
    if (outcome.kind === 'gone') throw formExpired();
    deps.log.info({ event: 'account.deleted', did: account.did, ...outcome }, 'account deleted');
    return c.html(<AccountDeletedPage deletedWikis={outcome.deletedWikis} transferredWikis={outcome.transferredWikis} />);
  });

  return app;
}
