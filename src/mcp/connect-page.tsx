// What a person gets on opening a wiki's MCP address in a browser: how to connect an assistant to it,
// instead of the protocol's 401 in JSON. MCP clients never ask for text/html without a token, so they
// still get the protocol (and its WWW-Authenticate challenge) from ./endpoint.ts.
import type { Context } from 'hono';
import { Layout } from '../http/pages.tsx';
import { ConnectInstructions } from '../wiki/connect-instructions.tsx';

/** A browser's visit: a GET that prefers HTML and carries no credentials. */
export function isBrowserVisit(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return c.req.method === 'GET' && c.req.header('authorization') === undefined && /\btext\/html\b/.test(accept);
}

export interface ConnectPageProps {
  slug: string;
  wikiName: string;
  mcpUrl: string;
  wikiUrl: string;
  settingsUrl: string;
  platform: string;
}

export function connectPage(c: Context, props: ConnectPageProps): Response | Promise<Response> {
  // The same URL answers MCP clients differently: caches must keep the two apart.
  c.header('Vary', 'Accept, Authorization');
  return c.html(
    <Layout title={`Connect an assistant to ${props.wikiName}`} platform={props.platform}>
      <article>
        <hgroup>
          <h1>Connect an assistant to {props.wikiName}</h1>
          <p>
            This is the wiki's address for AI assistants (MCP). There is nothing to read here in a browser: give the address to your assistant, and it will ask
            you to sign in and allow access.
          </p>
        </hgroup>
        <ConnectInstructions slug={props.slug} mcpUrl={props.mcpUrl} open />
        <p>
          <a href={props.wikiUrl}>Read the wiki</a> · <a href={props.settingsUrl}>Wiki settings and bearer tokens</a>
        </p>
      </article>
    </Layout>,
  );
}
