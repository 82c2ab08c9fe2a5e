// The dashboard's pages: your account, your wikis, and one wiki's settings (connections, bearer
// tokens, collaborators, access, deletion). Typed props only; hono/jsx escapes every value.
import type { Child, FC } from 'hono/jsx';
import { Copyable, FieldNote, Layout, Table, TextField } from '../http/pages.tsx';
import { claudeCodeCommand, ConnectInstructions } from '../wiki/connect-instructions.tsx';

export interface ConnectedAppView {
  grantId: string;
  name: string;
  wiki: string;
  scopes: string;
  connectedAt: string;
}

/** Who a person is here (dashboard and account page); `since` when their account was made. */
export const AccountDetails: FC<{ username: string; handle: string | null; did: string; since?: string }> = (props) => (
  <dl>
    <dt>Username</dt>
    <dd>{props.username}</dd>
    <dt>Handle</dt>
    <dd>{props.handle ? `@${props.handle}` : 'not verified'}</dd>
    <dt>DID</dt>
    <dd>
      <code>{props.did}</code>
    </dd>
    {props.since ? (
      <>
        <dt>Member since</dt>
        <dd>{props.since}</dd>
      </>
    ) : null}
  </dl>
);

/** The apps connected to a person's wikis, each with its Disconnect button (dashboard and account page). */
export const ConnectedApps: FC<{ apps: ConnectedAppView[]; csrf: string }> = ({ apps, csrf }) => (
  <article>
    <h2>Connected apps</h2>
    {apps.length === 0 ? (
      <p>No app is connected to your wikis yet.</p>
    ) : (
      <Table
        headings={['App', 'Wiki', 'Access', 'Since', '']}
        rows={apps.map((app): Child[] => [
          app.name,
          app.wiki,
          app.scopes,
          app.connectedAt,
          <PostButton action={`/app/apps/${encodeURIComponent(app.grantId)}/revoke`} csrf={csrf} label="Disconnect" />,
        ])}
      />
    )}
  </article>
);

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
const ROLE_SENTENCES: Record<string, string> = { owner: 'You own this wiki.', write: 'You can read and edit this wiki.', read: 'You can read this wiki.' };

/** A form's error, beside the field it is about. */
export interface FieldError<Field extends string> {
  field: Field;
  message: string;
}

const errorFor = <Field extends string>(error: FieldError<Field> | undefined, field: Field) => (error?.field === field ? error.message : undefined);

export type CreateField = 'slug' | 'display_name';

export const DashboardPage: FC<{
  did: string;
  handle: string | null;
  username: string;
  wikis: WikiListItem[];
  apps: ConnectedAppView[];
  csrf: string;
  createError?: FieldError<CreateField>;
  createSlug?: string;
  createName?: string;
}> = (props) => (
  <Layout title="Your wikis">
    <article>
      <hgroup>
        <h1>Your wikis</h1>
        <p>
          Hello, {props.username}. You are signed in{props.handle ? ` as @${props.handle}` : ''}.
        </p>
      </hgroup>
      {props.wikis.length === 0 ? (
        <p>You have no wiki yet. Create one below, then connect Claude, ChatGPT or any MCP client to it.</p>
      ) : (
        <ul class="link-list">
          {props.wikis.map((wiki) => (
            <li>
              <a href={`/app/wikis/${wiki.slug}`}>{wiki.name}</a> <small>({ROLE_NAMES[wiki.role]})</small> · <a href={wiki.viewUrl}>read</a>
            </li>
          ))}
        </ul>
      )}
      <h2>Create a wiki</h2>
      <form method="post" action="/app/wikis">
        <TextField
          name="slug"
          label="Address"
          value={props.createSlug ?? ''}
          error={errorFor(props.createError, 'slug')}
          help="3–30 characters: lower-case letters, digits and hyphens. It becomes part of the wiki's address and cannot be changed."
          minlength={3}
          maxlength={30}
          autofocus={props.createError?.field === 'slug'}
        />
        <TextField
          name="display_name"
          label="Name"
          value={props.createName ?? ''}
          error={errorFor(props.createError, 'display_name')}
          help="Shown on the wiki and to your assistants. You can change it later."
          maxlength={80}
          autocapitalize="sentences"
          spellcheck={true}
          autofocus={props.createError?.field === 'display_name'}
        />
        <Csrf csrf={props.csrf} />
        <button type="submit">Create wiki</button>
      </form>
    </article>
    <ConnectedApps apps={props.apps} csrf={props.csrf} />
    <article id="account">
      <h2>Your account</h2>
      <AccountDetails username={props.username} handle={props.handle} did={props.did} />
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

export type SettingsField = 'display_name' | 'description' | 'token_name' | 'token_access' | 'member' | 'member_role' | 'confirm';

export interface WikiSettingsProps {
  slug: string;
  name: string;
  description: string;
  role: string;
  isOwner: boolean;
  viewUrl: string;
  mcpUrl: string;
  anonymousRead: boolean;
  members: MemberView[];
  tokens: TokenView[];
  csrf: string;
  error?: FieldError<SettingsField>;
  /** What the person typed into the form that failed, given back to them. */
  typed?: Partial<Record<SettingsField, string>>;
  /** A token just made: shown this once and never again. */
  newToken?: { name: string; token: string };
}

/** A token just made, first on the page: the token and the Claude Code command with it, each to copy. */
const NewToken: FC<{ slug: string; mcpUrl: string; token: { name: string; token: string } }> = ({ slug, mcpUrl, token }) => (
  <article role="status" class="new-token" aria-labelledby="new-token-heading">
    <h2 id="new-token-heading">Token “{token.name}” made</h2>
    <p>Copy it now: it is shown only this once.</p>
    <Copyable id="new-token" text={token.token} label="Copy token" />
    <p>Or connect Claude Code with it in one step:</p>
    <Copyable id="new-token-command" text={claudeCodeCommand(slug, mcpUrl, token.token)} label="Copy command" />
  </article>
);

/** A labelled choice; its error, if any, beneath it. */
const Choice: FC<{ id: string; name: string; label: string; error: string | undefined; children: Child }> = ({ id, name, label, error, children }) => (
  <label for={id}>
    {label}
    <select id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-help` : undefined}>
      {children}
    </select>
    <FieldNote id={`${id}-help`} error={error} />
  </label>
);

const DetailsForm: FC<WikiSettingsProps & { base: string }> = (props) => {
  const nameError = errorFor(props.error, 'display_name');
  const descriptionError = errorFor(props.error, 'description');
  return (
    <article>
      <h2>Name and description</h2>
      <form method="post" action={`${props.base}/settings`}>
        <TextField
          name="display_name"
          id="wiki_name"
          label="Name"
          value={props.typed?.display_name ?? props.name}
          error={nameError}
          help="Shown on the wiki and to assistants."
          maxlength={80}
          autocapitalize="sentences"
          spellcheck={true}
          autofocus={Boolean(nameError)}
        />
        <label for="wiki_description">
          Description
          <textarea
            id="wiki_description"
            name="description"
            rows={3}
            maxlength={500}
            aria-invalid={descriptionError ? 'true' : undefined}
            aria-describedby="wiki_description-help"
            autofocus={Boolean(descriptionError)}
          >
            {props.typed?.description ?? props.description}
          </textarea>
          <FieldNote
            id="wiki_description-help"
            error={descriptionError}
            help="What the wiki is for, in a sentence or two. Shown on the wiki; assistants read it when they connect."
          />
        </label>
        <Csrf csrf={props.csrf} />
        <button type="submit">Save name and description</button>
      </form>
    </article>
  );
};

const TokensSection: FC<WikiSettingsProps & { base: string }> = (props) => {
  const nameError = errorFor(props.error, 'token_name');
  return (
    <article>
      <h2>Bearer tokens</h2>
      <p>For Claude Code and scripts: a token acts as you, with at most your own access. It is shown once.</p>
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
              <PostButton action={`${props.base}/tokens/${encodeURIComponent(token.id)}/revoke`} csrf={props.csrf} label="Revoke" />
            ) : null,
          ])}
        />
      )}
      <form method="post" action={`${props.base}/tokens`}>
        <div class="grid">
          <TextField
            name="name"
            id="token_name"
            label="Name"
            value={props.typed?.token_name ?? ''}
            error={nameError}
            help="So you can tell it apart later."
            maxlength={60}
            placeholder="laptop"
            autofocus={Boolean(nameError)}
          />
          <Choice id="token_access" name="access" label="Access" error={errorFor(props.error, 'token_access')}>
            <option value="read">read</option>
            {props.role !== 'read' ? (
              <option value="write" selected>
                read and write
              </option>
            ) : null}
          </Choice>
        </div>
        <Csrf csrf={props.csrf} />
        <button type="submit">Make a token</button>
      </form>
    </article>
  );
};

const MembersSection: FC<WikiSettingsProps & { base: string }> = (props) => {
  const memberError = errorFor(props.error, 'member');
  return (
    <article>
      <h2>Collaborators</h2>
      {props.members.length === 0 ? (
        <p>Only you, so far.</p>
      ) : (
        <Table
          headings={['Collaborator', 'Role', '']}
          rows={props.members.map((member): Child[] => [
            member.handle ? (
              `@${member.handle}`
            ) : (
              <>
                Unverified account <code>{member.did}</code>
              </>
            ),
            ROLE_NAMES[member.role],
            <PostButton
              action={`${props.base}/members/remove`}
              csrf={props.csrf}
              label={`Remove ${member.handle ? `@${member.handle}` : 'collaborator'}`}
              fields={{ did: member.did }}
            />,
          ])}
        />
      )}
      <form method="post" action={`${props.base}/members`}>
        <div class="grid">
          <TextField
            name="account"
            id="member"
            label="Handle or DID"
            value={props.typed?.member ?? ''}
            error={memberError}
            help="Their Bluesky or atproto handle."
            placeholder="bob.bsky.social"
            autofocus={Boolean(memberError)}
          />
          <Choice id="member_role" name="role" label="Role" error={errorFor(props.error, 'member_role')}>
            <option value="read">can read</option>
            <option value="write">can edit</option>
          </Choice>
        </div>
        <Csrf csrf={props.csrf} />
        <button type="submit">Add or change collaborator</button>
      </form>
    </article>
  );
};

export const WikiSettingsPage: FC<WikiSettingsProps> = (props) => {
  const base = `/app/wikis/${props.slug}`;
  const confirmError = errorFor(props.error, 'confirm');
  return (
    <Layout title={props.name}>
      {props.newToken ? <NewToken slug={props.slug} mcpUrl={props.mcpUrl} token={props.newToken} /> : null}
      <article>
        <hgroup>
          <h1>{props.name}</h1>
          <p>
            {ROLE_SENTENCES[props.role]} <a href={props.viewUrl}>Read the wiki</a>
          </p>
        </hgroup>
        {props.description ? <p>{props.description}</p> : null}
        <h2>Connect an assistant</h2>
        <ConnectInstructions slug={props.slug} mcpUrl={props.mcpUrl} />
      </article>

      {props.isOwner ? <DetailsForm {...props} base={base} /> : null}
      <TokensSection {...props} base={base} />

      {props.isOwner ? (
        <>
          <MembersSection {...props} base={base} />

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
                Save access
              </button>
            </form>
          </article>

          <article>
            <h2>Delete this wiki</h2>
            <p>Deletes every page and its history, and disconnects every app and token. This cannot be undone.</p>
            <form method="post" action={`${base}/delete`}>
              <label for="confirm">
                Type <code>{props.slug}</code> to confirm
                <input
                  id="confirm"
                  name="confirm"
                  type="text"
                  required
                  autocapitalize="none"
                  spellcheck={false}
                  autocomplete="off"
                  aria-invalid={confirmError ? 'true' : undefined}
                  aria-describedby={confirmError ? 'confirm-help' : undefined}
                  autofocus={Boolean(confirmError)}
                />
                <FieldNote id="confirm-help" error={confirmError} />
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
