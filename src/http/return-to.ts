// `return_to` is honoured only for same-origin paths and wiki origins: never an open redirect
// (catalogue RU-05). The check runs on what is returned, after URL normalisation: `/.//evil.example`
// passes any test on the raw text and normalises to `//evil.example`, which a browser reads as a host.
import type { Config } from '../config/config.ts';

const MAX_RETURN_TO = 2048;

export function safeReturnTo(value: string | undefined | null, config: Config): string | undefined {
  // No browser sends control characters in a link; refusing them keeps header injection out of reach.
  if (!value || value.length > MAX_RETURN_TO || /[\u0000-\u001f\u007f]/.test(value)) return undefined;
  // Resolved as a browser resolves a Location on our pages (WHATWG URL): tabs and newlines dropped,
  // `\` read as `/`, dot segments (also `%2e`) removed.
  const target = parse(value, config.publicUrl);
  if (!target || target.username || target.password || !isAllowedOrigin(target, config)) return undefined;
  // Absolute in, absolute out: an absolute URL cannot be re-read as another host. Relative in, the
  // normalised path and query out.
  const location = URL.canParse(value) ? target.href : `${target.pathname}${target.search}`;
  // What we return, read back as the browser will read it, must still name the same place.
  const followed = parse(location, config.publicUrl);
  return followed && followed.origin === target.origin && followed.pathname === target.pathname ? location : undefined;
}

function parse(value: string, base: string): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

function isAllowedOrigin(url: URL, config: Config): boolean {
  if (url.origin === config.publicUrl) return true;
  // Host mode: https://{slug}.$WIKI_DOMAIN, exactly one label below the wiki domain.
  if (!config.wikiDomain || url.protocol !== 'https:' || url.port) return false;
  const suffix = `.${config.wikiDomain}`;
  const label = url.hostname.endsWith(suffix) ? url.hostname.slice(0, -suffix.length) : '';
  return /^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$/.test(label);
}
