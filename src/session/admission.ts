// Who may have an account here (SIGNUP, SIGNUP_ALLOWLIST, ADMIN_DIDS; DESIGN.md §7) and the pages
// that say no. Checked when an atproto login comes back (src/atproto/routes.tsx) and again when the
// signup form is sent, since the configuration may change in between.
import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';

type Policy = Pick<Config, 'signup' | 'adminDids'>;

/** Whether this DID (with this verified handle, if any) may create an account at all. Admins always may. */
export function maySignUp(config: Policy, did: string, handle: string | null): boolean {
  const { signup } = config;
  if (config.adminDids.has(did) || signup.mode !== 'allowlist') return true;
  return signup.dids.has(did) || (handle !== null && signup.handles.has(handle.toLowerCase()));
}

/** Whether signing up needs an invite code: SIGNUP=invite, for anyone but an admin. */
export function needsInvite(config: Policy, did: string): boolean {
  return config.signup.mode === 'invite' && !config.adminDids.has(did);
}

export const signupNotAllowed = (handle: string | null, did: string) =>
  new AppError(
    'signup_not_allowed',
    403,
    `This server only accepts new accounts from people its administrators have listed, and ${handle ? `@${handle}` : did} is not on the list. ` +
      'Ask them to add your handle or DID, then log in again. Nothing was created.',
    'Signup is limited',
  );

export const accountSuspended = () =>
  new AppError(
    'account_suspended',
    403,
    'Your account on this server is suspended, so you cannot log in, and your apps and tokens do not work. Contact the server’s administrators.',
    'Account suspended',
  );
