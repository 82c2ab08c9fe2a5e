// The front door at `/`: what robot.wtf is, how to start, and how to run your own.
import type { FC } from 'hono/jsx';
import { Copyable, Layout } from '../http/pages.tsx';

export const LandingPage: FC<{ signedIn: boolean }> = ({ signedIn }) => (
  <Layout title="Wikis for your AI assistants">
    <article>
      <hgroup>
        <h1>Wikis your AI assistants can read and write</h1>
        <p>Give Claude, ChatGPT or any MCP client a wiki of its own: notes that last between conversations, that you can read and curate too.</p>
      </hgroup>
      <ul>
        <li>Log in with your Bluesky or other atproto account. We only learn who you are; we never get access to your posts.</li>
        <li>Create a wiki and connect your assistant to its address. It signs in with you and asks before it gets access.</li>
        <li>Read the pages in your browser, share a wiki with collaborators, or open it to anyone with the link.</li>
      </ul>
      <p>
        {signedIn ? (
          // biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link
          <a href="/app/" role="button">
            Go to my wikis
          </a>
        ) : (
          // biome-ignore lint/a11y/useSemanticElements: Pico's documented way to style a navigation link as a button; it navigates, so it stays a link
          <a href="/auth/login" role="button">
            Log in to get started
          </a>
        )}
      </p>
    </article>
    <article>
      <h2>Run your own</h2>
      <p>
        robot.wtf is one Node.js process with an embedded SQLite database, or PostgreSQL when one machine is not enough. On a machine with Node.js and the
        source code:
      </p>
      <Copyable id="self-host-command" text="npm install && npm start" />
      <p>
        It listens on <code>http://127.0.0.1:8003</code> and lets you log in with a real Bluesky account, with no configuration. For a public server (https,
        your own domain, PostgreSQL) follow <code>docs/deployment.md</code> in the source code.
      </p>
    </article>
  </Layout>
);
