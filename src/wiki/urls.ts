// Where a wiki lives (DESIGN.md §2): `https://{slug}.$WIKI_DOMAIN` in host mode, `$PUBLIC_URL/w/{slug}`
// in path mode. Each wiki is its own OAuth issuer, `issuer = wikiBase`, with its MCP endpoint at
// `{wikiBase}/mcp` (never with a trailing slash).
import type { Config } from '../config/config.ts';

export interface WikiUrls {
  base: string;
  issuer: string;
  mcp: string;
  authorize: string;
  token: string;
  register: string;
  revoke: string;
  introspect: string;
  jwks: string;
  /** RFC 9728 §3.1: the protected-resource metadata URL, path-inserted before the MCP path. */
  resourceMetadata: string;
}

export function wikiBase(config: Pick<Config, 'publicUrl' | 'wikiDomain'>, slug: string): string {
  return config.wikiDomain ? `https://${slug}.${config.wikiDomain}` : `${config.publicUrl}/w/${slug}`;
}

/** Host mode: the slug a host name `{slug}.$WIKI_DOMAIN` names (one label, no dots), or undefined. */
export function slugOfHost(config: Pick<Config, 'wikiDomain'>, hostname: string): string | undefined {
  const suffix = `.${config.wikiDomain}`;
  if (!config.wikiDomain || !hostname.endsWith(suffix)) return undefined;
  const slug = hostname.slice(0, -suffix.length);
  return slug && !slug.includes('.') ? slug : undefined;
}

export function wikiUrls(config: Pick<Config, 'publicUrl' | 'wikiDomain'>, slug: string): WikiUrls {
  const base = wikiBase(config, slug);
  const { origin, pathname } = new URL(base);
  const basePath = pathname === '/' ? '' : pathname;
  return {
    base,
    issuer: base,
    mcp: `${base}/mcp`,
    authorize: `${base}/oauth/authorize`,
    token: `${base}/oauth/token`,
    register: `${base}/oauth/register`,
    revoke: `${base}/oauth/revoke`,
    introspect: `${base}/oauth/introspect`,
    jwks: `${base}/oauth/jwks.json`,
    resourceMetadata: `${origin}/.well-known/oauth-protected-resource${basePath}/mcp`,
  };
}
