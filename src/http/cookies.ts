// Cookie names and attributes in one place (DESIGN.md §2, catalogue CK-01, CK-05).
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import type { Config } from '../config/config.ts';

export const SESSION_COOKIE = 'platform_token';
export const LOGIN_NONCE_COOKIE = 'login_nonce';
export const SIGNUP_COOKIE = 'signup_token';
export const CLI_CONFIRM_COOKIE = 'cli_confirm';

export interface CookieJar {
  set(c: Context, name: string, value: string, maxAgeSeconds: number): void;
  clear(c: Context, name: string): void;
  /** Every value sent under `name`; more than one means someone planted a cookie (CK-05). */
  all(c: Context, name: string): string[];
}

export function cookieJar(config: Config): CookieJar {
  // Browsers treat http://127.0.0.1 as a secure context, so Secure cookies work on a laptop too.
  const base: CookieOptions = { path: '/', secure: true, httpOnly: true, sameSite: 'Lax' };
  const options = (name: string): CookieOptions => (name === SESSION_COOKIE && config.cookieDomain ? { ...base, domain: config.cookieDomain } : base);
  return {
    set(c, name, value, maxAgeSeconds) {
      setCookie(c, name, value, { ...options(name), maxAge: maxAgeSeconds });
    },
    clear(c, name) {
      // Same Domain and Path as when set, or the browser keeps the old cookie (CK-03).
      deleteCookie(c, name, options(name));
      if (name === SESSION_COOKIE && config.cookieDomain) deleteCookie(c, name, base);
    },
    all(c, name) {
      const header = c.req.header('cookie') ?? '';
      return header
        .split(';')
        .map((part) => part.trim())
        .filter((part) => part.startsWith(`${name}=`))
        .map((part) => decodeURIComponent(part.slice(name.length + 1)));
    },
  };
}
