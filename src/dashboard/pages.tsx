// The dashboard's pages: your account, your wikis, and one wiki's settings (connections, bearer
// tokens, collaborators, access, deletion). Typed props only; hono/jsx escapes every value.
import type { Child, FC } from 'hono/jsx';
import { Alert, Layout, Table, TextField } from '../http/pages.tsx';

export interface ConnectedAppView {
  grantId: string;
  name: string;
  wiki: string;
  scopes: string;
  connectedAt: string;
}

export interface WikiListItem {
  slug: string;
  name: string;
  role: string;
  viewUrl: string;
}

export const Csrf: FC<{ csrf: string }> = ({ csrf }) => <input type="hidden" name="csrf" value={csrf} />;

/** One button that POSTs to `action` with the session's CSRF token and any hidden fields. */
export const PostButton: FC<{ action: string; csrf: string; label: string; fields?: Record<string, string> }> = ({ action, csrf, label, fields = {} }) => (
  <form method="post" action={action}>
    {Object.entries(fields).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <Csrf csrf={csrf} />
    <button type="submit" class="secondary outline">
      {label}
    </button>
  </form>
);

const ROLE_NAMES: Record<string, string> = { owner: 'owner', write: 'can edit', read: 'can read' };

export const DashboardPage: FC<{
  did: string;
  handle: string | null;
  username: string;
  wikis: WikiListItem[];
  apps: ConnectedAppView[];
  csrf: string;
  createError?: string;
  createSlug?: string;
  createName?: string;
}> = (props) => (
  <Layout title="Your account">
    <article>
      <hgroup>
        <h1>Hello, {props.username}</h1>
        <p>You are signed in{props.handle ? ` as @${props.handle}` : ''}.</p>
      </hgroup>
      <dl>
        <dt>Username</dt>
        <dd>{props.username}</dd>
        <dt>Handle</dt>
        <dd>{props.handle ? `@${props.handle}` : 'not verified'}</dd>
        <dt>DID</dt>
        <dd>
          <code>{props.did}</code>
        </dd>
      </dl>
      <form method="post" action="/auth/logout">
        <Csrf csrf={props.csrf} />
        <button type="submit" class="secondary">
          Log out
        </button>
      </form>
    </article>
    <article>
      <h2>Your wikis</h2>
      {props.wikis.length === 0 ? (
        <p>You have no wiki yet. Create one below, then connect Claude, ChatGPT or any MCP client to it.</p>
      ) : (
        <ul>
          {props.wikis.map((wiki) => (
            <li>
              <a href={`/app/wikis/${wiki.slug}`}>{wiki.name}</a> <small>({ROLE_NAMES[wiki.role]})</small> · <a href={wiki.viewUrl}>read</a>
            </li>
          ))}
        </ul>
      )}
      <h3>Create a wiki</h3>
      <Alert message={props.createError} />
      <form method="post" action="/app/wikis">
        <TextField
          name="slug"
          label="Address"
          value={props.createSlug ?? ''}
          error={props.createError}
          help="3–30 characters: lower-case letters, digits and hyphens. It becomes part of the wiki's address and cannot be changed."
          minlength={3}
          maxlength={30}
          autofocus={false}
        />
        <label for="display_name">
          Name
          <input id="display_name" name="display_name" type="text" value={props.createName ?? ''} maxlength={80} required />
        </label>
        <Csrf csrf={props.csrf} />
        <button type="submit">Create wiki</button>
      </form>
    </article>
    <article>
      <h2>Connected apps</h2>
      {props.apps.length === 0 ? (
        <p>No app is connected to your wikis yet.</p>
      ) : (
        <Table
          headings={['App', 'Wiki', 'Access', 'Since', '']}
          rows={props.apps.map((app): Child[] => [
            app.name,
            app.wiki,
            app.scopes,
            app.connectedAt,
            <PostButton action={`/app/apps/${encodeURIComponent(app.grantId)}/revoke`} csrf={props.csrf} label="Disconnect" />,
          ])}
        />
      )}
    </article>
  </Layout>
);

export interface MemberView {
  did: string;
  handle: string | null;
  role: 'read' | 'write';
}

export interface TokenView {
  id: string;
  name: string;
  access: string;
  createdAt: string;
  lastUsed: string;
  mine: boolean;
}

export interface WikiSettingsProps {
  slug: string;
  name: string;
  role: string;
  isOwner: boolean;
  viewUrl: string;
  mcpUrl: string;
  anonymousRead: boolean;
  members: MemberView[];
  tokens: TokenView[];
  csrf: string;
  error?: string;
  /** A token just made: shown this once and never again. */
  newToken?: { name: string; token: string };
}

const Command: FC<{ text: string }> = ({ text }) => (
  <pre>
    <code>{text}</code>
  </pre>
);

/** Copy-paste instructions per client; each connects through MCP OAuth except the bearer-token variant. */
const ConnectInstructions: FC<{ slug: string; mcpUrl: string }> = ({ slug, mcpUrl }) => (
  <>
    <p>
      The wiki's MCP address is <code>{mcpUrl}</code>. Clients find everything else from it and sign you in with your atproto account.
    </p>
    <details>
      <summary>Claude.ai and Claude Desktop</summary>
      <p>Settings → Connectors → Add custom connector. Name it, paste the address above, and choose Connect. Sign in and allow access when asked.</p>
    </details>
    <details>
      <summary>Claude Code</summary>
      <Command text={`claude mcp add --transport http ${slug} ${mcpUrl}`} />
      <p>
        Then run <code>/mcp</code> in Claude Code and choose Authenticate. Or, with a bearer token from below instead of signing in:
      </p>
      <Command text={`claude mcp add --transport http ${slug} ${mcpUrl} --header "Authorization: Bearer YOUR_TOKEN"`} />
    </details>
    <details>
      <summary>ChatGPT</summary>
      <p>
        Settings → Apps &amp; Connectors → Advanced settings → turn on Developer mode. Then Create, paste the address above, choose OAuth as authentication, and
        connect.
      </p>
    </details>
    <details>
      <summary>MCP Inspector</summary>
      <Command text="npx @modelcontextprotocol/inspector" />
      <p>Choose the Streamable HTTP transport, paste the address above, and use Open Auth Settings → Quick OAuth Flow.</p>
    </details>
  </>
);

export const WikiSettingsPage: FC<WikiSettingsProps> = (props) => {
  const base = `/app/wikis/${props.slug}`;
  return (
    <Layout title={props.name}>
      <article>
        <hgroup>
          <h1>{props.name}</h1>
          <p>
            You are its {ROLE_NAMES[props.role]}. <a href={props.viewUrl}>Read the wiki</a> · <a href="/app/">All wikis</a>
          </p>
        </hgroup>
        <Alert message={props.error} />
        <h2>Connect an assistant</h2>
        <ConnectInstructions slug={props.slug} mcpUrl={props.mcpUrl} />
      </article>

      <article>
        <h2>Bearer tokens</h2>
        <p>For Claude Code and scripts: a token acts as you, with at most your own access. It is shown once.</p>
        {props.newToken ? (
          <div role="status">
            <p>
              New token <strong>{props.newToken.name}</strong> — copy it now, it will not be shown again:
            </p>
            <Command text={props.newToken.token} />
          </div>
        ) : null}
        {props.tokens.length === 0 ? (
          <p>No tokens.</p>
        ) : (
          <Table
            headings={['Name', 'Access', 'Made', 'Last used', '']}
            rows={props.tokens.map((token): Child[] => [
              token.name,
              token.access,
              token.createdAt,
              token.lastUsed,
              token.mine || props.isOwner ? (
                <PostButton action={`${base}/tokens/${encodeURIComponent(token.id)}/revoke`} csrf={props.csrf} label="Revoke" />
              ) : null,
            ])}
          />
        )}
        <form method="post" action={`${base}/tokens`}>
          <div class="grid">
            <label for="token_name">
              Name
              <input id="token_name" name="name" type="text" maxlength={60} required placeholder="laptop" />
            </label>
            <label for="token_access">
              Access
              <select id="token_access" name="access">
                <option value="read">read</option>
                {props.role !== 'read' ? (
                  <option value="write" selected>
                    read and write
                  </option>
                ) : null}
              </select>
            </label>
          </div>
          <Csrf csrf={props.csrf} />
          <button type="submit">Make a token</button>
        </form>
      </article>

      {props.isOwner ? (
        <>
          <article>
            <h2>Collaborators</h2>
            {props.members.length === 0 ? (
              <p>Only you, so far.</p>
            ) : (
              <Table
                headings={['Collaborator', 'Role', '']}
                rows={props.members.map((member): Child[] => [
                  member.handle ? `@${member.handle}` : <code>{member.did}</code>,
                  ROLE_NAMES[member.role],
                  <PostButton action={`${base}/members/remove`} csrf={props.csrf} label="Remove" fields={{ did: member.did }} />,
                ])}
              />
            )}
            <form method="post" action={`${base}/members`}>
              <div class="grid">
                <label for="member">
                  Handle or DID
                  <input id="member" name="account" type="text" required autocapitalize="none" spellcheck={false} placeholder="bob.bsky.social" />
                </label>
                <label for="member_role">
                  Role
                  <select id="member_role" name="role">
                    <option value="read">can read</option>
                    <option value="write">can edit</option>
                  </select>
                </label>
              </div>
              <Csrf csrf={props.csrf} />
              <button type="submit">Add or change collaborator</button>
            </form>
          </article>

          <article>
            <h2>Access</h2>
            <form method="post" action={`${base}/access`}>
              <label for="anonymous_read">
                {/* biome-ignore lint/a11y/useAriaPropsForRole: a native checkbox carries its own checked state; ARIA in HTML says not to add aria-checked to it */}
                <input id="anonymous_read" name="anonymous_read" type="checkbox" role="switch" value="on" checked={props.anonymousRead} />
                Anyone with the link can read the pages (without signing in). Assistants always need access.
              </label>
              <Csrf csrf={props.csrf} />
              <button type="submit" class="secondary">
                Save
              </button>
            </form>
          </article>

          <article>
            <h2>Delete this wiki</h2>
            <p>Deletes every page and its history, and disconnects every app and token. This cannot be undone.</p>
            <form method="post" action={`${base}/delete`}>
              <label for="confirm">
                Type <code>{props.slug}</code> to confirm
                <input id="confirm" name="confirm" type="text" required autocapitalize="none" spellcheck={false} autocomplete="off" />
              </label>
              <Csrf csrf={props.csrf} />
              <button type="submit" class="contrast">
                Delete wiki
              </button>
            </form>
          </article>
        </>
      ) : null}
    </Layout>
  );
};
