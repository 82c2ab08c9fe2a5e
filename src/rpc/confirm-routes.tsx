// The browser leg of a CLI login ends here: the person types the code their terminal shows and
// approves, or denies (catalogue CL-03, remote phishing: RFC 8628 §5.4). Bound to the browser that
// signed in by a cookie, and CSRF-protected.
import { Hono, type Context } from 'hono';
import { AppError, formExpired } from '../errors/app-error.ts';
import { constantTimeEqual } from '../secrets.ts';
import type { Config } from '../config/config.ts';
import { CLI_CONFIRM_COOKIE, type CookieJar } from '../http/cookies.ts';
import type { CliLogin } from '../store/cli-logins.ts';
import { readForm } from '../http/form.ts';
import { CliConfirmPage, CliDecidedPage, type CliOutcome } from '../http/pages.tsx';
import { minutesAgo, utcMinute } from '../http/time.ts';
import { burned, MAX_CODE_ATTEMPTS, type CliLogins } from './cli-logins.ts';

const expired = () =>
  new AppError(
    'cli_login_expired',
    400,
    'This command-line login has expired, was already completed, or was started in another browser. ' + 'Run robot login again.',
    'Login expired',
  );

/** What the CLI confirmation page uses; the assembly passes its AppDeps (src/web/deps.ts). */
export interface CliConfirmDeps {
  cliLogins: CliLogins;
  cookies: CookieJar;
  config: Config;
  now: () => number;
}

export function cliConfirmRoutes(deps: CliConfirmDeps): Hono {
  const { cliLogins, cookies, config, now } = deps;
  const app = new Hono();
  const lifetime = `${Math.round(config.cliTokenTtlSeconds / 3600)} hours`;

  const confirmPage = (c: Context, login: CliLogin, error?: string) =>
    c.html(
      <CliConfirmPage
        clientLabel={login.client_name}
        clientAddress={login.client_address}
        startedAt={utcMinute(login.created_at)}
        startedAgo={minutesAgo(login.created_at, now())}
        handle={login.handle}
        did={login.did!}
        lifetime={lifetime}
        csrf={login.csrf!}
        error={error}
      />,
      error ? 422 : 200,
    );
  const decidedPage = (c: Context, outcome: CliOutcome) =>
    c.html(<CliDecidedPage outcome={outcome} lifetime={lifetime} attempts={MAX_CODE_ATTEMPTS} />, outcome === 'burned' ? 403 : 200);

  app.get('/auth/cli/confirm', async (c) => {
    const login = await cliLogins.forBrowser(cookies.all(c, CLI_CONFIRM_COOKIE)[0]);
    if (!login) throw expired();
    if (login.status === 'signing_up') return c.redirect('/auth/signup', 303);
    if (login.status === 'authenticated') return confirmPage(c, login);
    return decidedPage(c, login.status === 'denied' ? (burned(login) ? 'burned' : 'denied') : 'approved');
  });

  app.post('/auth/cli/confirm', async (c) => {
    const form = await readForm(c);
    const login = await cliLogins.forBrowser(cookies.all(c, CLI_CONFIRM_COOKIE)[0]);
    if (login?.status !== 'authenticated') throw expired();
    if (!constantTimeEqual(form.get('csrf') ?? '', login.csrf!)) {
      throw formExpired();
    }
    if (form.get('decision') !== 'approve') {
      if (!(await cliLogins.deny(login))) throw expired();
      cookies.clear(c, CLI_CONFIRM_COOKIE);
      return decidedPage(c, 'denied');
    }
    const approval = await cliLogins.approve(login, form.get('code') ?? '');
    switch (approval.kind) {
      case 'empty':
        return confirmPage(c, login, 'Type the code your terminal shows, then press Approve.');
      case 'wrong': {
        const left = `${approval.attemptsLeft} attempt${approval.attemptsLeft === 1 ? '' : 's'} left`;
        return confirmPage(c, login, `That is not the code your terminal shows. ${left}.`);
      }
      case 'gone':
        throw expired();
      default:
        cookies.clear(c, CLI_CONFIRM_COOKIE);
        return decidedPage(c, approval.kind);
    }
  });

  return app;
}
