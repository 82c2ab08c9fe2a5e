// The browser leg of a CLI login ends here: the person sees which client started it, compares the
// code, and approves or denies (catalogue CL-03, cross-device phishing). Bound to the browser that
// signed in by a cookie, and CSRF-protected.
import { Hono } from 'hono';
import { AppError } from '../errors/app-error.ts';
import { constantTimeEqual } from '../secrets.ts';
import { CLI_CONFIRM_COOKIE } from '../session/cookies.ts';
import type { AppDeps } from '../web/deps.ts';
import { readForm } from '../web/form.ts';
import { CliConfirmPage, CliDecidedPage } from '../web/pages.tsx';

const expired = () => new AppError('cli_login_expired', 400, 'This command-line login has expired, was already completed, or was started in another browser. Run robot login again.', 'Login expired');

export function cliConfirmRoutes(deps: AppDeps): Hono {
  const { cliLogins, cookies } = deps;
  const app = new Hono();

  app.get('/auth/cli/confirm', async (c) => {
    const login = await cliLogins.forBrowser(cookies.all(c, CLI_CONFIRM_COOKIE)[0]);
    if (!login) throw expired();
    if (login.status === 'signing_up') return c.redirect('/auth/signup', 303);
    if (login.status !== 'authenticated') return c.html(<CliDecidedPage approved={login.status === 'confirmed' || login.status === 'delivered'} />);
    return c.html(
      <CliConfirmPage
        code={login.confirmation_code}
        clientName={login.client_name}
        clientAddress={login.client_address}
        startedAt={new Date(login.created_at * 1000).toUTCString()}
        handle={login.handle}
        did={login.did!}
        csrf={login.csrf!}
      />,
    );
  });

  app.post('/auth/cli/confirm', async (c) => {
    const form = await readForm(c);
    const login = await cliLogins.forBrowser(cookies.all(c, CLI_CONFIRM_COOKIE)[0]);
    if (!login || login.status !== 'authenticated') throw expired();
    if (!constantTimeEqual(form.get('csrf') ?? '', login.csrf!)) {
      throw new AppError('csrf_failed', 403, 'This form expired or did not come from this site. Reload the page and try again.', 'Form expired');
    }
    const approve = form.get('decision') === 'approve';
    if (!(await cliLogins.decide(login, approve))) throw expired();
    cookies.clear(c, CLI_CONFIRM_COOKIE);
    return c.html(<CliDecidedPage approved={approve} />);
  });

  return app;
}
