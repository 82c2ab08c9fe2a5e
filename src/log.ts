// Structured logs (pino). Secrets never reach a log (catalogue LG-01..03): known secret-bearing fields
// and headers are censored, secret query parameters are stripped from logged URLs, and every string
// is truncated so a hostile input cannot flood or forge log lines (pino escapes CR/LF as JSON).
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'token',
  'accessToken',
  'refreshToken',
  'code',
  'codeVerifier',
  'secret',
  'password',
  'jwt',
  'cookie',
  'authorization',
  'dpop',
  'privateJwk',
  'clientAssertion',
  'd',
];

const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.dpop',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers.dpop',
];

/** Query parameters that carry codes, state (= CLI session ids) or tokens (catalogue LG-02). */
const SECRET_QUERY_PARAMS = ['code', 'state', 'request_uri', 'access_token', 'refresh_token', 'id_token', 'secret'];

const MAX_STRING = 512;

export function redactUrl(pathAndQuery: string): string {
  const queryStart = pathAndQuery.indexOf('?');
  if (queryStart === -1) return pathAndQuery;
  const params = new URLSearchParams(pathAndQuery.slice(queryStart + 1));
  for (const name of SECRET_QUERY_PARAMS) if (params.has(name)) params.set(name, '[Redacted]');
  return `${pathAndQuery.slice(0, queryStart)}?${params.toString()}`;
}

function truncate(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…(${value.length} chars)` : value;
  if (depth > 3 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => truncate(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, truncate(item, depth + 1)]));
}

/** Called with the fields of every log line that has an `event` (src/metrics.ts counts them). */
export type EventListener = (fields: { event: string; seconds?: unknown }) => void;

export function createLogger(level: string, destination?: DestinationStream, onEvent?: EventListener): Logger {
  // Events are counted whatever LOG_LEVEL says: with a listener the logger runs at info at least, and
  // the stream drops the lines below the configured level.
  const listening = onEvent !== undefined && (level === 'silent' || pino.levels.values[level]! > pino.levels.values.info!);
  const stream = listening
    ? level === 'silent'
      ? { write() {} }
      : pino.multistream([{ level: level as pino.Level, stream: destination ?? pino.destination(1) }])
    : destination;
  return pino(
    {
      level: listening ? 'info' : level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      formatters: { log: (record) => truncate(record) as Record<string, unknown> },
      serializers: { err: pino.stdSerializers.err },
      ...(onEvent && {
        hooks: {
          logMethod(args, method) {
            const fields = args[0] as unknown;
            if (fields !== null && typeof fields === 'object' && typeof (fields as { event?: unknown }).event === 'string') {
              onEvent(fields as { event: string });
            }
            return method.apply(this, args);
          },
        },
      }),
    },
    stream,
  );
}
