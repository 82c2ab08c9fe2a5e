// Defaults and cross-field rules on top of the parsed environment (DESIGN.md §2).
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { ConfigError, readEnv, type Env } from './env.ts';

/** Size limits of wiki pages (enforced in src/wiki/pages.ts); declared here so config imports no feature. */
export interface PageLimits {
  /** UTF-8 bytes of one page. */
  pageBytes: number;
  /** UTF-8 bytes of all current pages of one wiki together. */
  wikiBytes: number;
}

export type AtprotoClientMode = 'loopback' | 'confidential';

export interface Config {
  host: string;
  port: number;
  /** Origin without a trailing slash, e.g. `https://robot.wtf` or `http://127.0.0.1:8003`. */
  publicUrl: string;
  atprotoClientMode: AtprotoClientMode;
  wikiDomain: string | undefined;
  cookieDomain: string | undefined;
  dataDir: string;
  databaseUrl: string;
  atproto: {
    plcDirectoryUrl: string;
    handleResolver: string | undefined;
    allowInsecure: boolean;
    clientKeyFile: string;
  };
  platformKeysFile: string;
  /** The secret refresh-token successors are derived with; shared by every instance. */
  refreshKeyFile: string;
  grpcPort: number | undefined;
  /** Prometheus `/metrics` on its own listener at HOST:METRICS_PORT; unset = no metrics at all (src/metrics.ts). */
  metricsPort: number | undefined;
  /** Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES; empty = none): src/net/client-address.ts. */
  trustedProxies: BlockList;
  logLevel: string;
  /** MCP access-token lifetime, seconds. Hours by default: several MCP clients fail to refresh (FACTS.md). */
  accessTokenTtlSeconds: number;
  /** Platform session lifetime (cookie Max-Age and JWT exp), seconds. */
  sessionTtlSeconds: number;
  /**
   * Lifetime of the credential `robot login` receives (`cli+jwt`), seconds. Half the browser
   * session's: a CLI login can be phished (RFC 8628 §5.4), so what it yields should not outlive a
   * working day, and logging in again from a terminal costs one browser round trip.
   */
  cliTokenTtlSeconds: number;
  /** Page and wiki size limits, UTF-8 bytes of current text. */
  pageLimits: PageLimits;
  /** The largest attachment, in bytes (ATTACHMENT_MAX_BYTES, 10 MiB by default); attachments count toward the wiki's limit. */
  attachmentMaxBytes: number;
  /** Browser origins, besides ours and loopback ones, that may call MCP endpoints (src/mcp/origin.ts). */
  mcpAllowedOrigins: string[];
  /** An OpenAI-compatible embeddings endpoint for semantic search; undefined = the embedded word vectors. */
  embeddings: EmbeddingsEndpoint | undefined;
  /** Platform administrators (ADMIN_DIDS): the admin page is theirs, and they may always sign up. */
  adminDids: ReadonlySet<string>;
  /** Who may create an account (SIGNUP, SIGNUP_ALLOWLIST): src/session/signup-policy.ts. */
  signup: SignupPolicy;
}

export interface EmbeddingsEndpoint {
  url: string;
  model: string;
  apiKey: string | undefined;
}

export type SignupPolicy =
  | { mode: 'open' }
  | { mode: 'invite' }
  /** DIDs as written, handles lower-cased without a leading `@`. */
  | { mode: 'allowlist'; dids: ReadonlySet<string>; handles: ReadonlySet<string> };

const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]']);

/** The longest a token signed with a platform key lives: a retired key stays published this long. */
export function longestPlatformTokenSeconds(config: Config): number {
  return Math.max(config.sessionTtlSeconds, config.cliTokenTtlSeconds);
}

export function loadConfig(source?: Record<string, string | undefined>, cwd = process.cwd()): Config {
  return buildConfig(readEnv(source), cwd);
}

export function buildConfig(env: Env, cwd: string): Config {
  const host = env.HOST ?? '127.0.0.1';
  const port = env.PORT ?? 8003;
  const publicUrl = parsePublicUrl(env.PUBLIC_URL ?? `http://127.0.0.1:${port}`);
  const allowInsecure = env.DANGEROUSLY_ALLOW_INSECURE_ATPROTO === '1' || env.DANGEROUSLY_ALLOW_INSECURE_ATPROTO === 'true';
  const dataDir = path.resolve(cwd, env.DATA_DIR ?? './data');

  const { protocol, hostname } = new URL(publicUrl);
  let atprotoClientMode: AtprotoClientMode;
  if (protocol === 'https:') {
    atprotoClientMode = 'confidential';
  } else if (LOOPBACK_IPS.has(hostname)) {
    atprotoClientMode = 'loopback';
  } else if (hostname === 'localhost') {
    // atproto loopback clients must redirect to an IP literal; the PDS refuses `localhost` redirects.
    throw new ConfigError(
      `PUBLIC_URL: use http://127.0.0.1:${new URL(publicUrl).port || 80} instead of localhost (atproto loopback clients redirect to an IP address)`,
    );
  } else {
    throw new ConfigError(`PUBLIC_URL: http is only allowed on a loopback address (127.0.0.1 or [::1]); use https for ${hostname}`);
  }

  const wikiDomain = env.WIKI_DOMAIN ? parseDomain('WIKI_DOMAIN', env.WIKI_DOMAIN) : undefined;
  const cookieDomain = env.COOKIE_DOMAIN ? parseCookieDomain(env.COOKIE_DOMAIN, hostname) : undefined;

  return {
    host,
    port,
    publicUrl,
    atprotoClientMode,
    wikiDomain,
    cookieDomain,
    dataDir,
    databaseUrl: parseDatabaseUrl(env.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'robot.sqlite')}`, cwd),
    atproto: {
      plcDirectoryUrl: parseHttpUrl('ATPROTO_PLC_URL', env.ATPROTO_PLC_URL ?? 'https://plc.directory', allowInsecure),
      handleResolver: env.ATPROTO_HANDLE_RESOLVER ? parseHttpUrl('ATPROTO_HANDLE_RESOLVER', env.ATPROTO_HANDLE_RESOLVER, allowInsecure) : undefined,
      allowInsecure,
      clientKeyFile: path.resolve(cwd, env.ATPROTO_CLIENT_KEY_FILE ?? path.join(dataDir, 'atproto-client-key.json')),
    },
    platformKeysFile: path.resolve(cwd, env.PLATFORM_KEYS_FILE ?? path.join(dataDir, 'platform-keys.json')),
    refreshKeyFile: path.resolve(cwd, env.REFRESH_KEY_FILE ?? path.join(dataDir, 'refresh-token-key.json')),
    grpcPort: env.GRPC_PORT,
    metricsPort: env.METRICS_PORT,
    trustedProxies: parseTrustedProxies(env.TRUSTED_PROXIES),
    logLevel: env.LOG_LEVEL ?? 'info',
    accessTokenTtlSeconds: env.ACCESS_TOKEN_LIFETIME ?? 4 * 60 * 60,
    sessionTtlSeconds: 24 * 60 * 60,
    cliTokenTtlSeconds: 12 * 60 * 60,
    pageLimits: { pageBytes: env.PAGE_MAX_BYTES ?? 256 * 1024, wikiBytes: env.WIKI_MAX_BYTES ?? 50 * 1024 * 1024 },
    attachmentMaxBytes: env.ATTACHMENT_MAX_BYTES ?? 10 * 1024 * 1024,
    mcpAllowedOrigins: parseOrigins('MCP_ALLOWED_ORIGINS', env.MCP_ALLOWED_ORIGINS),
    embeddings: parseEmbeddings(env),
    adminDids: new Set(listOf(env.ADMIN_DIDS).map((entry) => parseDid('ADMIN_DIDS', entry))),
    signup: parseSignupPolicy(env.SIGNUP ?? 'open', env.SIGNUP_ALLOWLIST),
  };
}

/**
 * EMBEDDINGS_URL with EMBEDDINGS_MODEL, or neither. Plain http is fine for a model on this machine or a
 * private network, but a key goes only over https or to loopback: it would cross the network in clear.
 */
function parseEmbeddings(env: Env): EmbeddingsEndpoint | undefined {
  if (!env.EMBEDDINGS_URL) {
    if (env.EMBEDDINGS_MODEL || env.EMBEDDINGS_API_KEY) throw new ConfigError('EMBEDDINGS_URL: required when EMBEDDINGS_MODEL or EMBEDDINGS_API_KEY is set');
    return undefined;
  }
  const url = parseHttpUrl('EMBEDDINGS_URL', env.EMBEDDINGS_URL, true);
  if (!env.EMBEDDINGS_MODEL) throw new ConfigError('EMBEDDINGS_MODEL: required with EMBEDDINGS_URL (the model name the endpoint knows, e.g. nomic-embed-text)');
  const { protocol, hostname } = new URL(url);
  if (env.EMBEDDINGS_API_KEY && protocol === 'http:' && !LOOPBACK_IPS.has(hostname) && hostname !== 'localhost')
    throw new ConfigError('EMBEDDINGS_URL: must be https when EMBEDDINGS_API_KEY is set, unless it is a loopback address');
  return { url, model: env.EMBEDDINGS_MODEL, apiKey: env.EMBEDDINGS_API_KEY };
}

const listOf = (value: string | undefined) => (value ?? '').split(/[\s,]+/).filter(Boolean);

/** did:plc and did:web are the methods atproto accounts use (atproto DID spec); anything else is a typo. */
const DID = /^did:(plc:[a-z2-7]{24}|web:[a-z0-9.%-]+(:[a-z0-9.%-]+)*)$/;
const HANDLE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

function parseDid(name: string, value: string): string {
  if (!DID.test(value)) throw new ConfigError(`${name}: not an atproto DID (did:plc:… or did:web:…): ${JSON.stringify(value)}`);
  return value;
}

function parseSignupPolicy(mode: 'open' | 'invite' | 'allowlist', allowlist: string | undefined): SignupPolicy {
  const entries = listOf(allowlist);
  if (mode !== 'allowlist') {
    // Set but unused would look like protection that is not there.
    if (entries.length > 0) throw new ConfigError(`SIGNUP_ALLOWLIST is set, but SIGNUP is ${mode}; set SIGNUP=allowlist to use it`);
    return { mode };
  }
  if (entries.length === 0) throw new ConfigError('SIGNUP=allowlist needs SIGNUP_ALLOWLIST: the handles or DIDs that may sign up');
  const dids = new Set<string>();
  const handles = new Set<string>();
  for (const entry of entries) {
    if (entry.startsWith('did:')) dids.add(parseDid('SIGNUP_ALLOWLIST', entry));
    else {
      const handle = entry.replace(/^@/, '').toLowerCase();
      if (!HANDLE.test(handle)) throw new ConfigError(`SIGNUP_ALLOWLIST: not a handle or DID: ${JSON.stringify(entry)}`);
      handles.add(handle);
    }
  }
  return { mode, dids, handles };
}

/** A comma- or space-separated list of origins, `scheme://host[:port]`, kept in serialised form (RFC 6454 §6.2). */
function parseOrigins(name: string, value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((origin) => {
      const url = URL.canParse(origin) ? new URL(origin) : undefined;
      // A browser's Origin header is exactly this form; a path, `*` or `null` would never match one.
      const web = url?.protocol === 'https:' || url?.protocol === 'http:';
      const credentials = url && (url.username || url.password);
      const bare = url && !url.search && !url.hash && !credentials && !/^[a-z]+:\/\/[^/]*\/./i.test(origin);
      if (!url || !web || !bare) {
        throw new ConfigError(`${name}: not an origin (scheme://host[:port], no path): ${JSON.stringify(origin)}`);
      }
      return url.origin;
    });
}

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`PUBLIC_URL: not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`PUBLIC_URL: must be http or https, got ${url.protocol.replace(':', '')}`);
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError('PUBLIC_URL: must be an origin only (no path, query, fragment or credentials)');
  }
  return url.origin;
}

function parseHttpUrl(name: string, value: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name}: not a URL: ${JSON.stringify(value)}`);
  }
  const ok = url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
  if (!ok) {
    throw new ConfigError(`${name}: must be https${allowHttp ? ' or http' : ' (http needs DANGEROUSLY_ALLOW_INSECURE_ATPROTO=1)'}`);
  }
  return url.href.replace(/\/$/, '');
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

function parseDomain(name: string, value: string): string {
  const domain = value.toLowerCase().replace(/^\./, '');
  if (!DOMAIN.test(domain)) throw new ConfigError(`${name}: not a domain name: ${JSON.stringify(value)}`);
  return domain;
}

function parseCookieDomain(value: string, publicHost: string): string {
  const domain = parseDomain('COOKIE_DOMAIN', value);
  // RFC 6265 §5.3 step 6: a browser drops a cookie whose Domain does not domain-match the request host.
  if (publicHost !== domain && !publicHost.endsWith(`.${domain}`)) {
    throw new ConfigError(`COOKIE_DOMAIN: ${domain} does not cover the PUBLIC_URL host ${publicHost}`);
  }
  return domain;
}

/**
 * TRUSTED_PROXIES: IP addresses and CIDRs, separated by commas or spaces. node's BlockList does the
 * matching, IPv4-mapped IPv6 included (a `::ffff:10.0.0.0/104` rule covers 10.0.0.0/8 and back).
 */
function parseTrustedProxies(value: string | undefined): BlockList {
  const list = new BlockList();
  for (const entry of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    const name = `TRUSTED_PROXIES: ${JSON.stringify(entry)}`;
    const notAnAddress = () => new ConfigError(`${name} is not an IP address or CIDR (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8)`);
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (!family || rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) throw notAnAddress();
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const max = family === 4 ? 32 : 128;
    if (prefix !== undefined && Number(prefix) > max) {
      throw new ConfigError(`${name}: an IPv${family} prefix is 0 to ${max}`);
    }
    try {
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    } catch {
      // What isIP accepts and BlockList does not, such as a zone index (fe80::1%eth0).
      throw notAnAddress();
    }
  }
  return list;
}

function parseDatabaseUrl(value: string, cwd: string): string {
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError('DATABASE_URL: not a valid postgres:// URL');
    }
    return value;
  }
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length);
    if (!file) throw new ConfigError('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/robot.sqlite');
    return file === ':memory:' ? value : `sqlite:${path.resolve(cwd, file)}`;
  }
  throw new ConfigError('DATABASE_URL: must start with sqlite: or postgres://');
}
