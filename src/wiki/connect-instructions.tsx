// How to connect an assistant to a wiki, per client: on the wiki's settings page and on the page a
// browser gets at the wiki's MCP address. Each client connects through MCP OAuth; Claude Code can
// also use a bearer token made on the settings page.
import type { FC } from 'hono/jsx';
import { Copyable } from '../http/pages.tsx';

/** The Claude Code command, optionally with a bearer token instead of signing in. */
export const claudeCodeCommand = (slug: string, mcpUrl: string, token?: string): string =>
  `claude mcp add --transport http ${slug} ${mcpUrl}${token ? ` --header "Authorization: Bearer ${token}"` : ''}`;

export const ConnectInstructions: FC<{ slug: string; mcpUrl: string; open?: boolean }> = ({ slug, mcpUrl, open }) => (
  <>
    <p>The wiki's MCP address. Clients find everything else from it and sign you in with your atproto account:</p>
    <Copyable id="mcp-url" text={mcpUrl} label="Copy address" />
    <details open={open}>
      <summary>Claude.ai and Claude Desktop</summary>
      <p>Settings → Connectors → Add custom connector. Name it, paste the address above, and choose Connect. Sign in and allow access when asked.</p>
    </details>
    <details open={open}>
      <summary>Claude Code</summary>
      <Copyable id="claude-code-command" text={claudeCodeCommand(slug, mcpUrl)} label="Copy command" />
      <p>
        Then run <code>/mcp</code> in Claude Code and choose Authenticate. Or make a bearer token on the wiki's settings page: the command with the token in it
        is shown there.
      </p>
    </details>
    <details open={open}>
      <summary>ChatGPT</summary>
      <p>
        Settings → Apps &amp; Connectors → Advanced settings → turn on Developer mode. Then Create, paste the address above, choose OAuth as authentication, and
        connect.
      </p>
    </details>
    <details>
      <summary>MCP Inspector</summary>
      <Copyable id="inspector-command" text="npx @modelcontextprotocol/inspector" label="Copy command" />
      <p>Choose the Streamable HTTP transport, paste the address above, and use Open Auth Settings → Quick OAuth Flow.</p>
    </details>
  </>
);
