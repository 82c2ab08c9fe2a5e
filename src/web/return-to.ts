// `return_to` is honoured only for same-origin paths and wiki origins: never an open redirect.
import type { Config } from '../config/config.ts';

export function safeReturnTo(value: string | undefined | null, config: Config): string | undefined {
  if (!value || value.length > 2048) return undefined;
  // A same-origin path: one leading slash, not `//host` or `/\host` (browsers treat both as a host).
  if (/^\/(?![/\\])/.test(value) && !/[\u0000-\u001f]/.test(value)) {
    const url = new URL(value, config.publicUrl);
    return url.origin === config.publicUrl ? `${url.pathname}${url.search}` : undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  if (url.origin === config.publicUrl) return url.href;
  // Host mode: https://{slug}.$WIKI_DOMAIN, exactly one label below the wiki domain.
  if (config.wikiDomain && url.protocol === 'https:' && !url.port) {
    const suffix = `.${config.wikiDomain}`;
    const label = url.hostname.endsWith(suffix) ? url.hostname.slice(0, -suffix.length) : '';
    if (/^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$/.test(label)) return url.href;
  }
  return undefined;
}
