// The account page (/app/account): who you are here, your connected apps and tokens, and deleting
// the account. Typed props only; hono/jsx escapes every value.
import type { Child, FC } from 'hono/jsx';
import { AccountDetails, ConnectedApps, Csrf, type ConnectedAppView } from '../dashboard/pages.tsx';
import { Alert, Layout, Table } from '../http/pages.tsx';

export interface AccountTokenView {
  name: string;
  wikiSlug: string;
  wikiName: string;
  access: string;
  createdAt: string;
  lastUsed: string;
}

/** An owned wiki and the collaborators it could be handed to. */
export interface OwnedWikiView {
  id: string;
  slug: string;
  name: string;
  heirs: { did: string; label: string }[];
  /** What was chosen for it (`delete` or a DID) when the form comes back with an error. */
  chosen: string;
}

export interface AccountPageProps {
  did: string;
  handle: string | null;
  username: string;
  since: string;
  apps: ConnectedAppView[];
  tokens: AccountTokenView[];
  owned: OwnedWikiView[];
  csrf: string;
  /** What must be typed to confirm deletion: the handle, or the username when there is none. */
  confirmWord: string;
  deleteError?: string;
}

const WikiChoice: FC<{ wiki: OwnedWikiView }> = ({ wiki }) => (
  <label for={`wiki-${wiki.id}`}>
    {wiki.name} <small>({wiki.slug})</small>
    <select id={`wiki-${wiki.id}`} name={`wiki:${wiki.id}`} required>
      <option value="delete" selected={wiki.chosen === 'delete'}>
        Delete it
      </option>
      {wiki.heirs.map((heir) => (
        <option value={heir.did} selected={wiki.chosen === heir.did}>
          Give it to {heir.label}
        </option>
      ))}
    </select>
    <small>
      Deleting removes all its pages and history.{' '}
      {wiki.heirs.length === 0 ? 'It has no collaborators to give it to.' : 'A collaborator you give it to becomes its owner.'}
    </small>
  </label>
);

export const AccountPage: FC<AccountPageProps> = (props) => (
  <Layout title="Your account">
    <article>
      <h1>Your account</h1>
      <AccountDetails username={props.username} handle={props.handle} did={props.did} since={props.since} />
      <p>
        <a href="/app/">Your wikis</a>
      </p>
    </article>
    <ConnectedApps apps={props.apps} csrf={props.csrf} />
    <article>
      <h2>Your tokens</h2>
      {props.tokens.length === 0 ? (
        <p>You have made no bearer tokens.</p>
      ) : (
        <Table
          headings={['Token', 'Wiki', 'Access', 'Made', 'Last used']}
          rows={props.tokens.map((token): Child[] => [
            token.name,
            <a href={`/app/wikis/${token.wikiSlug}`}>{token.wikiName}</a>,
            token.access,
            token.createdAt,
            token.lastUsed,
          ])}
        />
      )}
      <p>
        <small>Revoke a token on its wiki’s page.</small>
      </p>
    </article>
    <article>
      <h2 id="delete">Delete my account</h2>
      <p>
        This ends every session, connected app and token of yours, removes you from the wikis you collaborate on, and deletes your account. It cannot be undone.
        Your edits in wikis that remain stay, attributed to a deleted account.
      </p>
      <form method="post" action="/app/account/delete">
        {props.owned.length === 0 ? null : (
          <fieldset>
            <legend>Your wikis</legend>
            {props.owned.map((wiki) => (
              <WikiChoice wiki={wiki} />
            ))}
          </fieldset>
        )}
        <label for="confirm">
          Type <code>{props.confirmWord}</code> to confirm
          <input
            id="confirm"
            name="confirm"
            type="text"
            autocapitalize="none"
            autocomplete="off"
            spellcheck={false}
            required
            aria-invalid={props.deleteError ? 'true' : undefined}
            aria-describedby="confirm-help"
          />
          <small id="confirm-help">{props.deleteError ?? 'Exactly as shown, without an @.'}</small>
        </label>
        <Alert message={props.deleteError} />
        <Csrf csrf={props.csrf} />
        <button type="submit" class="danger">
          Delete my account
        </button>
      </form>
    </article>
  </Layout>
);

export const AccountDeletedPage: FC<{ deletedWikis: number; transferredWikis: number }> = (props) => (
  <Layout title="Account deleted">
    <article>
      <h1>Your account is deleted</h1>
      <p role="status">
        Every session, connected app and token of yours has ended.{' '}
        {props.deletedWikis === 0 && props.transferredWikis === 0
          ? 'You owned no wikis.'
          : `${props.deletedWikis} wiki${props.deletedWikis === 1 ? ' was' : 's were'} deleted and ${props.transferredWikis} handed to a collaborator.`}
      </p>
      <p>
        <a href="/auth/login">Log in</a> again any time to start a new account.
      </p>
    </article>
  </Layout>
);
