// The pages a new wiki starts with: a Home page (the wiki's root in the browser) and a short page on
// connecting an assistant, so neither the owner nor their assistant starts from a blank wiki.
import type { WikiPages } from './pages.ts';

export const HOME_PAGE = 'Home';
export const CONNECT_PAGE = 'Connect your assistant';

export function homeText(displayName: string): string {
  return `# ${displayName}

Welcome to your wiki. You and your AI assistants read and write these pages.

- [[${CONNECT_PAGE}]]: let an assistant read and write this wiki.
- Link pages with \`[[Page name]]\`; a link to a page that does not exist yet shows in red, and following it lets you write that page.
`;
}

export function connectText(slug: string, mcpUrl: string): string {
  return `# ${CONNECT_PAGE}

This wiki's MCP address is \`${mcpUrl}\`. Any assistant that speaks MCP can connect to it; it asks you to log in and approve access the first time.

With Claude Code:

\`\`\`sh
claude mcp add --transport http ${slug} ${mcpUrl}
\`\`\`

Then ask it to, for example, "write a page about today's meeting in my wiki".

Back to [[${HOME_PAGE}]].
`;
}

/** Writes both pages as revision 1 each, authored by the wiki's owner. */
export async function seedNewWiki(
  pages: Pick<WikiPages, 'write'>,
  wiki: { id: string; slug: string; display_name: string; owner_did: string },
  mcpUrl: string,
): Promise<void> {
  const message = 'Started the wiki';
  await pages.write(wiki.id, wiki.owner_did, { path: HOME_PAGE, content: homeText(wiki.display_name), message });
  await pages.write(wiki.id, wiki.owner_did, { path: CONNECT_PAGE, content: connectText(wiki.slug, mcpUrl), message });
}
