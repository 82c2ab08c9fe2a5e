// The admin page: users, wikis and their sizes, invites, recent audit events, and the forms that
// suspend, reinstate, invite and revoke. Typed props only; hono/jsx escapes every value.
import type { Child, FC } from 'hono/jsx';
import { Csrf, PostButton } from '../dashboard/pages.tsx';
import { Alert, Layout, Table } from '../http/pages.tsx';

export interface AdminUserView {
  did: string;
  username: string;
  handle: string | null;
  since: string;
  wikis: number;
  suspended: boolean;
  isAdmin: boolean;
}

export interface AdminWikiView {
  slug: string;
  name: string;
  owner: string;
  since: string;
  pages: number;
  size: string;
  suspended: boolean;
}

export interface InviteView {
  id: string;
  note: string;
  created: string;
  state: string;
  revocable: boolean;
}

export interface AuditView {
  at: string;
  event: string;
  actor: string;
  subject: string;
  detail: string;
}

export interface AdminPageProps {
  csrf: string;
  /** What the last action did, in words. */
  notice?: string;
  error?: string;
  /** An invite just made: its code is shown this once. */
  newInvite?: { code: string; note: string };
  signupMode: string;
  users: AdminUserView[];
  wikis: AdminWikiView[];
  invites: InviteView[];
  events: AuditView[];
  /** How many rows each list shows at most. */
  limit: number;
}

const SIGNUP_MODES: Record<string, string> = {
  open: 'open: anyone with an atproto account can sign up',
  invite: 'invite: new accounts need an invite code from this page',
  allowlist: 'allowlist: only the handles and DIDs in SIGNUP_ALLOWLIST can sign up',
};

const Notice: FC<{ message: string | undefined }> = ({ message }) =>
  message ? (
    <p role="status" class="flash">
      {message}
    </p>
  ) : null;

const Suspension: FC<{ kind: 'users' | 'wikis'; field: string; value: string; suspended: boolean; csrf: string; label: string }> = (props) => (
  <PostButton
    action={`/admin/${props.kind}/${props.suspended ? 'reinstate' : 'suspend'}`}
    csrf={props.csrf}
    label={`${props.suspended ? 'Reinstate' : 'Suspend'} ${props.label}`}
    fields={{ [props.field]: props.value }}
  />
);

export const AdminPage: FC<AdminPageProps> = (props) => (
  <Layout title="Administration" wide>
    <hgroup>
      <h1>Administration</h1>
      <p>Signup is {SIGNUP_MODES[props.signupMode]}.</p>
    </hgroup>
    <Notice message={props.notice} />
    <Alert message={props.error} />
    {props.newInvite ? (
      <div class="flash" role="status">
        <p>
          Invite for “{props.newInvite.note}”: <code class="secret">{props.newInvite.code}</code>
        </p>
        <p>
          <small>Copy it now: it is shown only once. It works for one signup, for 30 days.</small>
        </p>
      </div>
    ) : null}
    <article>
      <h2>Users</h2>
      <p>
        <small>A suspended user cannot log in, and every session, app and token of theirs stops working at once; reinstating restores them.</small>
      </p>

      <Table
        headings={['User', 'DID', 'Since', 'Wikis', 'Status', '']}
        rows={props.users.map((user): Child[] => [
          <>
            {user.username}
            {user.handle ? <small> @{user.handle}</small> : null}
          </>,
          <code>{user.did}</code>,
          user.since,
          String(user.wikis),
          user.suspended ? <strong>suspended</strong> : user.isAdmin ? 'admin' : 'active',
          user.isAdmin ? '' : <Suspension kind="users" field="did" value={user.did} suspended={user.suspended} csrf={props.csrf} label={user.username} />,
        ])}
      />

      {props.users.length === props.limit ? <small>The newest {props.limit} are shown.</small> : null}
    </article>
    <article>
      <h2>Wikis</h2>
      <p>
        <small>A suspended wiki answers every request, MCP and web alike, with a page or error saying it is suspended.</small>
      </p>

      <Table
        headings={['Wiki', 'Owner', 'Since', 'Pages', 'Size', 'Status', '']}
        rows={props.wikis.map((wiki): Child[] => [
          <>
            {wiki.name} <small>({wiki.slug})</small>
          </>,
          wiki.owner,
          wiki.since,
          String(wiki.pages),
          wiki.size,
          wiki.suspended ? <strong>suspended</strong> : 'active',
          <Suspension kind="wikis" field="slug" value={wiki.slug} suspended={wiki.suspended} csrf={props.csrf} label={wiki.slug} />,
        ])}
      />

      {props.wikis.length === props.limit ? <small>The newest {props.limit} are shown.</small> : null}
    </article>
    <article>
      <h2>Invites</h2>
      {props.signupMode === 'invite' ? null : (
        <p>
          <small>Invite codes are asked for only when SIGNUP=invite; you can make them now for later.</small>
        </p>
      )}
      <form method="post" action="/admin/invites">
        <label for="note">
          Who it is for
          <input id="note" name="note" type="text" maxlength={80} required placeholder="e.g. Alice from the lab" />
          <small>A note for you, so you can tell invites apart.</small>
        </label>
        <Csrf csrf={props.csrf} />
        <button type="submit">Create an invite</button>
      </form>
      {props.invites.length === 0 ? null : (
        <Table
          headings={['For', 'Made', 'State', '']}
          rows={props.invites.map((invite): Child[] => [
            invite.note,
            invite.created,
            invite.state,
            invite.revocable ? <PostButton action="/admin/invites/revoke" csrf={props.csrf} label="Revoke" fields={{ id: invite.id }} /> : '',
          ])}
        />
      )}
    </article>
    <article>
      <h2>Recent events</h2>
      {props.events.length === 0 ? (
        <p>Nothing yet.</p>
      ) : (
        <Table
          headings={['When', 'Event', 'By', 'Subject', 'Detail']}
          rows={props.events.map((event): Child[] => [event.at, event.event, <code>{event.actor}</code>, <code>{event.subject}</code>, event.detail])}
        />
      )}
      <p>
        <small>Administrative events and deleted accounts. Every OAuth step is in the server log (event names oauth.*).</small>
      </p>
    </article>
  </Layout>
);
