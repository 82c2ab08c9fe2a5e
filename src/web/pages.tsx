// Server-rendered pages (hono/jsx escapes every interpolated value, catalogue IN-06). Templates get
// typed props and never touch a store.
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';

export const Layout: FC<{ title: string; children: Child; wide?: boolean; home?: string }> = ({ title, children, wide, home = '/app/' }) => (
  <>
  {raw('<!DOCTYPE html>')}
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{`${title} · robot.wtf`}</title>
      <link rel="stylesheet" href="/static/pico.min.css" />
      <link rel="stylesheet" href="/static/app.css" />
    </head>
    <body>
      <header class={wide ? 'container' : 'container narrow'}>
        <nav>
          <ul>
            <li>
              <a href={home} class="brand">
                <strong>robot.wtf</strong>
              </a>
            </li>
          </ul>
        </nav>
      </header>
      <main class={wide ? 'container' : 'container narrow'}>{children}</main>
      <footer class={wide ? 'container' : 'container narrow'}>
        <small>Wikis your AI assistants can read and write. Sign in with your Bluesky / atproto account.</small>
      </footer>
    </body>
  </html>
  </>
);

export const Alert: FC<{ message: string | undefined }> = ({ message }) =>
  message ? (
    <p role="alert" class="alert">
      {message}
    </p>
  ) : null;

/** A table with one column per heading (an empty heading for a column of buttons). */
export const Table: FC<{ headings: string[]; rows: Child[][] }> = ({ headings, rows }) => (
  <table>
    <thead>
      <tr>
        {headings.map((heading) => (
          <th scope="col">{heading}</th>
        ))}
      </tr>
    </thead>
    <tbody>
      {rows.map((cells) => (
        <tr>
          {cells.map((cell) => (
            <td>{cell}</td>
          ))}
        </tr>
      ))}
    </tbody>
  </table>
);

/** A labelled single-line field for identifiers: no auto-capitalising or spell-checking. */
export const TextField: FC<{ name: string; label: string; value: string; help: string; error: string | undefined } & Record<string, unknown>> = ({ name, label, value, help, error, ...attributes }) => (
  <label for={name}>
    {label}
    <input id={name} name={name} type="text" value={value} autocapitalize="none" spellcheck={false} required aria-invalid={error ? 'true' : undefined} autofocus {...attributes} />
    <small>{help}</small>
  </label>
);

export const LoginPage: FC<{ error?: string; handle?: string; returnTo?: string }> = ({ error, handle, returnTo }) => (
  <Layout title="Log in">
    <article>
      <hgroup>
        <h1>Log in</h1>
        <p>Use your Bluesky or other atproto account. We only learn who you are; we never get access to your posts.</p>
      </hgroup>
      <Alert message={error} />
      <form method="post" action="/auth/login">
        <TextField name="handle" label="Handle" value={handle ?? ''} error={error} help="Your handle, your DID, or your PDS address (https://…)." placeholder="alice.bsky.social" autocomplete="username" />
        {returnTo ? <input type="hidden" name="return_to" value={returnTo} /> : null}
        <button type="submit">Continue</button>
      </form>
    </article>
  </Layout>
);

export const SignupPage: FC<{ handle: string | null; did: string; username: string; csrf: string; error?: string }> = ({ handle, did, username, csrf, error }) => (
  <Layout title="Choose a username">
    <article>
      <hgroup>
        <h1>Welcome{handle ? `, @${handle}` : ''}</h1>
        <p>Pick a username for robot.wtf. It names your wikis and cannot be changed later.</p>
      </hgroup>
      <Alert message={error} />
      <form method="post" action="/auth/signup">
        <TextField name="username" label="Username" value={username} error={error} help="3–30 characters: lower-case letters, digits and hyphens." minlength={3} maxlength={30} pattern="[a-z0-9][a-z0-9\-]{1,28}[a-z0-9]" />
        <input type="hidden" name="csrf" value={csrf} />
        <button type="submit">Create my account</button>
      </form>
      <p>
        <small>
          Signing up as <code>{did}</code>
        </small>
      </p>
    </article>
  </Layout>
);

/** `platform`: the platform's origin, so the links work from wiki hosts too (host mode). */
export const ErrorPage: FC<{ title: string; message: string; requestId?: string; platform: string }> = ({ title, message, requestId, platform }) => (
  <Layout title={title} home={`${platform}/app/`}>
    <article>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a href={`${platform}/auth/login`} role="button">
          Back to log in
        </a>{' '}
        <a href={`${platform}/app/`} role="button" class="secondary outline">
          Home
        </a>
      </p>
      {requestId ? (
        <p>
          <small>Reference: {requestId}</small>
        </p>
      ) : null}
    </article>
  </Layout>
);

/** `csrf`: the session's form token; none when there is no session to end. */
export const LogoutPage: FC<{ csrf: string | undefined }> = ({ csrf }) => (
  <Layout title="Log out">
    <article>
      <h1>Log out?</h1>
      <p>This ends your robot.wtf session in this browser.</p>
      <form method="post" action="/auth/logout">
        {csrf ? <input type="hidden" name="csrf" value={csrf} /> : null}
        <button type="submit">Log out</button>
      </form>
    </article>
  </Layout>
);

export const LoggedOutPage: FC = () => (
  <Layout title="Logged out">
    <article>
      <h1>You are logged out</h1>
      <p>Your session has ended.</p>
      <a href="/auth/login" role="button">
        Log in again
      </a>
    </article>
  </Layout>
);

/** Deny and approve, side by side; the form posts `decision=deny|approve`. */
const DecisionButtons: FC<{ approveLabel: string }> = ({ approveLabel }) => (
  <>
    <button type="submit" name="decision" value="deny" class="secondary outline">
      Deny
    </button>
    <button type="submit" name="decision" value="approve">
      {approveLabel}
    </button>
  </>
);

export const CliConfirmPage: FC<{ code: string; clientName: string; clientAddress: string; startedAt: string; handle: string | null; did: string; csrf: string }> = (props) => (
  <Layout title="Confirm command-line login">
    <article>
      <hgroup>
        <h1>Log in on the command line?</h1>
        <p>Only continue if you started this login yourself, just now.</p>
      </hgroup>
      <p class="code" aria-label="confirmation code">
        {props.code}
      </p>
      <p>Check that your terminal shows the same code.</p>
      <dl>
        <dt>Application</dt>
        <dd>{props.clientName}</dd>
        <dt>Started from</dt>
        <dd>
          {props.clientAddress} at {props.startedAt}
        </dd>
        <dt>Account</dt>
        <dd>{props.handle ? `@${props.handle}` : <code>{props.did}</code>}</dd>
      </dl>
      <form method="post" action="/auth/cli/confirm" class="grid">
        <input type="hidden" name="csrf" value={props.csrf} />
        <DecisionButtons approveLabel="Approve" />
      </form>
    </article>
  </Layout>
);

export const CliDecidedPage: FC<{ approved: boolean }> = ({ approved }) => (
  <Layout title={approved ? 'Login approved' : 'Login denied'}>
    <article>
      <h1>{approved ? 'You are logged in on the command line' : 'Login denied'}</h1>
      <p>{approved ? 'You can close this tab and return to your terminal.' : 'The command-line login was refused; nothing was shared with it.'}</p>
    </article>
  </Layout>
);

export const ConsentPage: FC<{ clientName: string; verifiedHost: string | undefined; redirectHost: string; wikiName: string; wikiUrl: string; scopes: string[]; requestId: string; csrf: string; action: string }> = (props) => (
  <Layout title="Allow access?">
    <article>
      <hgroup>
        <h1>Allow access to {props.wikiName}?</h1>
        <p>
          <strong>{props.clientName}</strong>{' '}
          <small>{props.verifiedHost ? `(published by ${props.verifiedHost})` : '(name chosen by the application itself, not verified)'}</small> wants to use your wiki.
        </p>
      </hgroup>
      <dl>
        <dt>Sends you back to</dt>
        <dd>
          <code>{props.redirectHost}</code>
        </dd>
        <dt>Wiki</dt>
        <dd>
          <code>{props.wikiUrl}</code>
        </dd>
        <dt>It will be able to</dt>
        <dd>
          <ul>
            {props.scopes.map((scope) => (
              <li>{scope === 'wiki:write' ? 'create, change, rename and delete pages' : 'read and search pages and their history'}</li>
            ))}
          </ul>
        </dd>
      </dl>
      <form method="post" action={props.action} class="grid">
        <input type="hidden" name="request_id" value={props.requestId} />
        <input type="hidden" name="csrf" value={props.csrf} />
        <DecisionButtons approveLabel="Allow" />
      </form>
    </article>
  </Layout>
);
