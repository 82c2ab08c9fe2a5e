// Server-rendered pages (hono/jsx escapes every interpolated value, catalogue IN-06). Templates get
// typed props and never touch a store.
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import { doneMessage } from './flash.ts';
import { currentRequest, currentViewer, type Viewer } from './viewer.ts';

/**
 * Every page: the header bar (my wikis, account, log out; or log in), the confirmation of the action
 * just done (./flash.ts), the page, and the small script that adds copy buttons.
 * `platform`: the platform's origin when the page is served elsewhere (a wiki host); '' on the platform.
 */
export const Layout: FC<{ title: string; children: Child; wide?: boolean; platform?: string }> = async ({ title, children, wide, platform = '' }) => {
  const viewer = await currentViewer();
  const request = currentRequest();
  const done = doneMessage(request?.req.query('done'));
  const width = wide ? 'container' : 'container narrow';
  return (
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
          <script src="/static/app.js" defer />
        </head>
        <body>
          <a href="#main" class="skip-link">
            Skip to the page
          </a>
          <header class="site-header">
            <SiteNav platform={platform} viewer={viewer} loginReturn={request ? returnHere(request.req.method, request.req.url, platform) : undefined} />
          </header>
          <main id="main" class={width}>
            {done ? (
              <p role="status" class="flash">
                {done}
              </p>
            ) : null}
            {children}
          </main>
          <footer class={width}>
            <small>
              Wikis your AI assistants can read and write. <a href={`${platform}/`}>About robot.wtf</a>
            </small>
          </footer>
        </body>
      </html>
    </>
  );
};

/**
 * Where "Log in" brings the reader back to: the page they are reading (a wiki host's root included),
 * unless it is the platform's front door or a login step.
 */
function returnHere(method: string, url: string, platform: string): string | undefined {
  const { origin, pathname } = new URL(url);
  const onPlatform = platform === '' || origin === platform;
  if (method !== 'GET' || (onPlatform && (pathname === '/' || pathname.startsWith('/auth/')))) return undefined;
  return url;
}

const SiteNav: FC<{ platform: string; viewer: Viewer | undefined; loginReturn: string | undefined }> = ({ platform, viewer, loginReturn }) => (
  <nav class="container" aria-label="Site">
    <ul>
      <li>
        <a href={`${platform}/`} class="brand">
          <strong>robot.wtf</strong>
        </a>
      </li>
    </ul>
    <ul>
      {viewer ? (
        <>
          <li>
            <a href={`${platform}/app/`}>My wikis</a>
          </li>
          <li>
            <a href={`${platform}/app/account`}>Account</a>
          </li>
          {viewer.admin ? (
            <li>
              <a href={`${platform}/admin/`}>Admin</a>
            </li>
          ) : null}
          <li>
            {viewer.csrf ? (
              <form method="post" action={`${platform}/auth/logout`} class="nav-form">
                <input type="hidden" name="csrf" value={viewer.csrf} />
                <button type="submit" class="secondary outline">
                  Log out
                </button>
              </form>
            ) : (
              // On a wiki's own origin the session's form token is not at hand: the logout page asks.
              <a href={`${platform}/auth/logout`}>Log out</a>
            )}
          </li>
        </>
      ) : (
        <li>
          <a href={`${platform}/auth/login${loginReturn ? `?${new URLSearchParams({ return_to: loginReturn })}` : ''}`}>Log in</a>
        </li>
      )}
    </ul>
  </nav>
);

/**
 * A button that copies the text of the element `target` (by id). Hidden until the script that makes
 * it work has run (src/web/static/app.js), so it never shows without working.
 */
export const CopyButton: FC<{ target: string; label?: string }> = ({ target, label = 'Copy' }) => (
  <button type="button" class="copy secondary outline" data-copy={target} hidden>
    {label}
  </button>
);

/** A command or address shown as code, with a copy button. `id`: unique on the page. */
export const Copyable: FC<{ id: string; text: string; label?: string }> = ({ id, text, label }) => (
  <div class="copyable">
    <pre>
      <code id={id}>{text}</code>
    </pre>
    <CopyButton target={id} label={label} />
  </div>
);

export const Alert: FC<{ message: string | undefined }> = ({ message }) =>
  message ? (
    <p role="alert" class="alert">
      {message}
    </p>
  ) : null;

/**
 * A table with one column per heading (an empty heading for a column of buttons). At phone width
 * each row becomes a stacked card, each cell led by its heading (`data-label`, src/web/static/app.css).
 */
export const Table: FC<{ headings: string[]; rows: Child[][] }> = ({ headings, rows }) => (
  <table class="stacked">
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
          {cells.map((cell, index) => (
            <td data-label={headings[index] || undefined}>{cell}</td>
          ))}
        </tr>
      ))}
    </tbody>
  </table>
);

/** A labelled single-line field for identifiers: no auto-capitalising or spell-checking. */
export const TextField: FC<{ name: string; label: string; value: string; help: string; error: string | undefined; id?: string } & Record<string, unknown>> = ({
  name,
  label,
  value,
  help,
  error,
  id = name,
  ...attributes
}) => (
  <label for={id}>
    {label}
    <input
      id={id}
      name={name}
      type="text"
      value={value}
      autocapitalize="none"
      spellcheck={false}
      required
      aria-invalid={error ? 'true' : undefined}
      aria-describedby={`${id}-help`}
      autofocus
      {...attributes}
    />
    <FieldNote id={`${id}-help`} error={error} help={help} />
  </label>
);

/**
 * Under a field: its error when it has one (Pico colours it after an aria-invalid input, and a screen
 * reader announces it), else its help.
 */
export const FieldNote: FC<{ id: string; error: string | undefined; help?: string }> = ({ id, error, help }) =>
  error || help ? (
    <small id={id} role={error ? 'alert' : undefined}>
      {error ?? help}
    </small>
  ) : null;

export const LoginPage: FC<{ error?: string; handle?: string; returnTo?: string }> = ({ error, handle, returnTo }) => (
  <Layout title="Log in">
    <article>
      <hgroup>
        <h1>Log in</h1>
        <p>Use your Bluesky or other atproto account. We only learn who you are; we never get access to your posts.</p>
      </hgroup>
      <form method="post" action="/auth/login">
        <TextField
          name="handle"
          label="Handle"
          value={handle ?? ''}
          error={error}
          help="Your handle, your DID, or your PDS address (https://…)."
          placeholder="alice.bsky.social"
          autocomplete="username"
        />
        {returnTo ? <input type="hidden" name="return_to" value={returnTo} /> : null}
        <button type="submit">Continue</button>
      </form>
    </article>
  </Layout>
);

/** `invite`: this server wants an invite code (SIGNUP=invite); its `error` is shown beside that field. */
export const SignupPage: FC<{
  handle: string | null;
  did: string;
  username: string;
  csrf: string;
  error?: string;
  invite?: { code: string; error?: string };
}> = ({ handle, did, username, csrf, error, invite }) => (
  <Layout title="Choose a username">
    <article>
      <hgroup>
        <h1>Welcome{handle ? `, @${handle}` : ''}</h1>
        <p>Pick a username for robot.wtf. It is how this site knows your account and cannot be changed later; each wiki gets its own address.</p>
      </hgroup>
      <form method="post" action="/auth/signup">
        <TextField
          name="username"
          label="Username"
          value={username}
          error={error}
          help="3–30 characters: lower-case letters, digits and hyphens."
          minlength={3}
          maxlength={30}
          pattern="[a-z0-9][a-z0-9\-]{1,28}[a-z0-9]"
        />
        {invite ? (
          <TextField
            name="invite"
            label="Invite code"
            value={invite.code}
            error={invite.error}
            help={invite.error ?? 'This server accepts new accounts by invitation. Enter the code its administrators gave you.'}
            autofocus={Boolean(invite.error)}
            maxlength={64}
          />
        ) : null}
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
  <Layout title={title} platform={platform}>
    <article>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
        <a href={`${platform}/auth/login`} role="button">
          Back to log in
        </a>{' '}
        {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
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
      {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
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

export interface CliConfirmProps {
  /** The name the client gave itself, already reduced to a safe character set (src/rpc/client-label.ts). */
  clientLabel: string;
  clientAddress: string;
  startedAt: string;
  startedAgo: string;
  handle: string | null;
  did: string;
  /** How long the credential lasts, in words ("12 hours"). */
  lifetime: string;
  csrf: string;
  /** Beside the code field after a wrong or missing code. */
  error?: string;
}

/**
 * The last step of a CLI login (catalogue CL-03). Every word is ours: the headline is fixed, the
 * client's own name is shown only as an unverified label, and the code is typed, never shown.
 */
export const CliConfirmPage: FC<CliConfirmProps> = (props) => (
  <Layout title="Log in to the robot command line">
    <article>
      <hgroup>
        <h1>Log in to the robot command line</h1>
        <p>
          A <code>robot login</code> for {props.handle ? `@${props.handle}` : 'your account'} is waiting for your approval. Approving gives that terminal access
          to your account for {props.lifetime}.
        </p>
      </hgroup>
      <p class="warning">
        <strong>
          If you did not just run <code>robot login</code> yourself, deny.
        </strong>{' '}
        Someone who sent you this link would get access to your account.
      </p>
      <dl>
        <dt>Started</dt>
        <dd>
          {props.startedAgo} ({props.startedAt}) from the address <code>{props.clientAddress}</code>
        </dd>
        <dt>Account</dt>
        <dd>{props.handle ? `@${props.handle}` : <code>{props.did}</code>}</dd>
        <dt>The program calls itself</dt>
        <dd id="client-label">
          <q>{props.clientLabel}</q> <small>(unverified: any program can choose this name)</small>
        </dd>
      </dl>
      <form method="post" action="/auth/cli/confirm">
        <label for="code">
          Code shown in your terminal
          <input
            id="code"
            name="code"
            type="text"
            value=""
            placeholder="XXXX-XXXX"
            maxlength={20}
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            aria-invalid={props.error ? 'true' : undefined}
            aria-describedby="code-help"
            autofocus
          />
          <small id="code-help">{props.error ?? 'robot login printed it after the link, as "Confirmation code". Type it here.'}</small>
        </label>
        <input type="hidden" name="csrf" value={props.csrf} />
        <div class="grid">
          <DecisionButtons approveLabel="Approve" />
        </div>
      </form>
    </article>
  </Layout>
);

export type CliOutcome = 'approved' | 'denied' | 'burned';

/** What happened and what to do next. `lifetime` and `attempts` fill in the details. */
export const CliDecidedPage: FC<{ outcome: CliOutcome; lifetime: string; attempts: number }> = (props) => {
  const { outcome, lifetime, attempts } = props;
  const pages: Record<CliOutcome, { title: string; body: Child }> = {
    approved: {
      title: 'You are logged in on the command line',
      body: (
        <>
          The terminal where you ran <code>robot login</code> now has access to your account for {lifetime}. That access works only from the command line: it
          cannot sign in to this website. You can close this tab.
        </>
      ),
    },
    denied: {
      title: 'Login denied',
      body: <>Nothing was shared with the command line. If someone sent you the link, you can ignore it: your account is safe.</>,
    },
    burned: {
      title: 'Login cancelled',
      body: (
        <>
          The code was typed wrong {attempts} times, so this login was cancelled and nothing was shared. If you started it, run <code>robot login</code> again
          in your terminal and type the code it shows.
        </>
      ),
    },
  };
  const page = pages[outcome];
  return (
    <Layout title={page.title}>
      <article class={outcome === 'approved' ? 'outcome approved' : 'outcome refused'}>
        <h1>{page.title}</h1>
        <p>{page.body}</p>
      </article>
    </Layout>
  );
};

export const ConsentPage: FC<{
  clientName: string;
  verifiedHost: string | undefined;
  redirectHost: string;
  wikiName: string;
  wikiUrl: string;
  scopes: string[];
  requestId: string;
  csrf: string;
  action: string;
  /** The platform's origin: the consent page is on the wiki's origin (host mode). */
  platform: string;
}> = (props) => (
  <Layout title="Allow access?" platform={props.platform}>
    <article>
      <hgroup>
        <h1>Allow access to {props.wikiName}?</h1>
        <p>
          <strong>{props.clientName}</strong>{' '}
          <small>{props.verifiedHost ? `(published by ${props.verifiedHost})` : '(name chosen by the application itself, not verified)'}</small> wants to use
          your wiki.
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

/**
 * A consent request the person cannot grant (they are not a member of the wiki, or their role holds
 * none of what the app asked for). The app still learns `access_denied`, once the person goes back.
 */
export const ConsentDeniedPage: FC<{
  clientName: string;
  verifiedHost: string | undefined;
  wikiName: string;
  /** Our own words for why (authserver/authorize-checks.ts). */
  reason: string;
  /** The app's redirect URI with `error=access_denied`, `state` and `iss`. */
  backUrl: string;
  platform: string;
}> = (props) => (
  <Layout title="No access to this wiki" platform={props.platform}>
    <article class="outcome refused">
      <hgroup>
        <h1>
          {props.clientName} cannot use {props.wikiName}
        </h1>
        <p>
          <small>{props.verifiedHost ? `(published by ${props.verifiedHost})` : '(name chosen by the application itself, not verified)'}</small>
        </p>
      </hgroup>
      <p>
        The app asked for access to the wiki <strong>{props.wikiName}</strong>, but {props.reason}. Only the wiki's owner and the collaborators they add can
        connect apps to it, and only with the access their role gives.
      </p>
      <p>If this is your wiki, log in with the account that owns it. Otherwise ask its owner to add you as a collaborator, then connect again.</p>
      <p>
        {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
        <a href={props.backUrl} role="button">
          Back to {props.clientName}
        </a>{' '}
        {/* biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link */}
        <a href={`${props.platform}/app/`} role="button" class="secondary outline">
          My wikis
        </a>
      </p>
      <p>
        <small>The app will be told that access was denied.</small>
      </p>
    </article>
  </Layout>
);
