// The only module that reads process.env. Everything else receives a parsed, validated Config.
import { z } from 'zod';

const optionalString = z
  .string()
  .transform((value) => value.trim())
  .pipe(z.string())
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

export const envSchema = z.object({
  HOST: optionalString,
  PORT: port.optional(),
  PUBLIC_URL: optionalString,
  WIKI_DOMAIN: optionalString,
  COOKIE_DOMAIN: optionalString,
  DATA_DIR: optionalString,
  DATABASE_URL: optionalString,
  ATPROTO_PLC_URL: optionalString,
  ATPROTO_HANDLE_RESOLVER: optionalString,
  ATPROTO_CLIENT_KEY_FILE: optionalString,
  PLATFORM_KEYS_FILE: optionalString,
  REFRESH_KEY_FILE: optionalString,
  DANGEROUSLY_ALLOW_INSECURE_ATPROTO: z.enum(['', '0', '1', 'true', 'false']).optional(),
  GRPC_PORT: port.optional(),
  TRUSTED_PROXIES: optionalString,
  ACCESS_TOKEN_LIFETIME: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(60, 'must be between 60 and 86400 seconds')
    .max(86400, 'must be between 60 and 86400 seconds')
    .optional(),
  PAGE_MAX_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1024, 'must be at least 1024 bytes')
    .optional(),
  WIKI_MAX_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1024, 'must be at least 1024 bytes')
    .optional(),
  ATTACHMENT_MAX_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1024, 'must be at least 1024 bytes')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  MCP_ALLOWED_ORIGINS: optionalString,
  METRICS_PORT: port.optional(),
  EMBEDDINGS_URL: optionalString,
  EMBEDDINGS_MODEL: optionalString,
  EMBEDDINGS_API_KEY: optionalString,
  ADMIN_DIDS: optionalString,
  SIGNUP: z.enum(['open', 'invite', 'allowlist'], { error: 'must be open, invite or allowlist' }).optional(),
  SIGNUP_ALLOWLIST: optionalString,
});

export type Env = z.infer<typeof envSchema>;

/** Parses the given environment (process.env by default); throws ConfigError on bad values. */
export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const picked = Object.fromEntries(Object.keys(envSchema.shape).map((key) => [key, source[key] === '' ? undefined : source[key]]));
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
