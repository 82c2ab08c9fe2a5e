// The atproto login transaction around the library: binds each `state` to the browser that began
// it (catalogue ST-02), refuses authorization servers outside the atproto profile (AT-07), checks the
// DID that comes back against the one the user asked for (AT-01), and turns library failures into
// clear, safe errors.
import type { NodeSavedStateStore } from '@atproto/oauth-client-node';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../log.ts';
import { constantTimeEqual, randomToken, sha256 } from '../secrets.ts';
import { ATPROTO_SCOPE } from './metadata.ts';
import { LoginInputError, parseLoginInput, truncateForDisplay } from './login-input.ts';
import { atprotoProfileProblem, type AuthServerMetadata } from './server-profile.ts';

/** The parts of NodeOAuthClient we use; a narrow port so tests can provoke faults a real PDS will not. */
export interface AtprotoClientPort {
  authorize(input: string, options: { state: string; scope: string }): Promise<URL>;
  callback(params: URLSearchParams): Promise<{ session: AtprotoSessionPort; state: string | null }>;
  revoke(did: string): Promise<void>;
  identityResolver: { resolve(input: string): Promise<{ did: string; handle: string }> };
  /** Handle or DID → DID document → PDS → authorization server (bidirectional handle check, AT-03). */
  oauthResolver: { resolve(input: string): Promise<{ identityInfo?: { did: string }; metadata: AuthServerMetadata; pds?: URL }> };
}

export interface AtprotoSessionPort {
  did: string;
  signOut(): Promise<void>;
}

/**
 * Who may finish a login: the browser that began it (its login-nonce cookie), or, for a CLI login,
 * whoever confirms it on the confirmation page (catalogue CL-03).
 */
export type LoginBinding = { browserNonce: string } | { cliLoginId: string };

/** Kept server-side in the library's state row; the `state` parameter itself carries nothing. */
interface LoginAppState {
  /** sha256 of the login-nonce cookie of the browser that began the login. */
  browser?: string;
  /** The CLI login this browser leg belongs to. */
  cli?: string;
  /** The DID the typed handle or DID resolved to; absent for a server URL. */
  did?: string;
  returnTo?: string;
  /** When the login form was sent (epoch ms): the login's duration is logged, and measured (src/metrics.ts). */
  begunAt?: number;
}

/** Marks a failed callback that belonged to a CLI login. */
export interface LoginFailure {
  cliLoginId?: string;
}

export interface CompletedLogin {
  did: string;
  handle: string | null;
  returnTo: string | undefined;
  cliLoginId: string | undefined;
}

const HANDLE_INVALID = 'handle.invalid';

export const newLoginNonce = () => randomToken();

export class AtprotoLogin {
  constructor(
    private readonly client: AtprotoClientPort,
    private readonly states: NodeSavedStateStore,
    private readonly log: Logger,
    private readonly options: { allowInsecure: boolean; authMethod: 'none' | 'private_key_jwt' },
  ) {}

  /** Resolves the identity and pushes the authorization request; returns where to send the browser. */
  async begin(rawInput: string, binding: LoginBinding, returnTo: string | undefined): Promise<URL> {
    let input;
    try {
      input = parseLoginInput(rawInput, { allowTestTld: this.options.allowInsecure });
    } catch (error) {
      if (error instanceof LoginInputError) throw new AppError('invalid_handle', 400, error.message, 'Check your handle');
      throw error;
    }

    let resolved;
    try {
      resolved = await this.client.oauthResolver.resolve(input.value);
    } catch (error) {
      throw await this.identityError(error, input.value);
    }
    if (resolved.pds && !isServerOrigin(resolved.pds, this.options.allowInsecure)) {
      // atproto DID spec: the #atproto_pds endpoint is a bare https origin (AT-05).
      throw new AppError(
        'identity_invalid',
        400,
        'The identity document for that account names an invalid account server address, so we cannot log you in with it.',
        'Account not usable',
      );
    }
    const problem = atprotoProfileProblem(resolved.metadata, { authMethod: this.options.authMethod, allowHttp: this.options.allowInsecure });
    if (problem) {
      this.log.warn({ event: 'atproto.login.server_unsupported', issuer: resolved.metadata.issuer, problem }, 'authorization server rejected');
      throw new AppError(
        'auth_server_unsupported',
        502,
        `Your account server does not meet the atproto login requirements (${problem}), so we did not contact it.`,
        'Account server not supported',
      );
    }
    const expectedDid = resolved.identityInfo?.did;

    const appState: LoginAppState =
      'browserNonce' in binding
        ? { browser: sha256(binding.browserNonce), did: expectedDid, returnTo, begunAt: Date.now() }
        : { cli: binding.cliLoginId, did: expectedDid, begunAt: Date.now() };
    try {
      const url = await this.client.authorize(input.value, { state: JSON.stringify(appState), scope: ATPROTO_SCOPE });
      this.log.info({ event: 'atproto.login.begun', inputKind: input.kind, did: expectedDid }, 'atproto login begun');
      return url;
    } catch (error) {
      throw await this.identityError(error, input.value);
    }
  }

  /** Verifies the callback and exchanges the code; never exchanges one that fails a check. */
  async complete(params: URLSearchParams, browserNonce: string | undefined): Promise<CompletedLogin> {
    const state = params.get('state');
    const expired = new AppError('login_expired', 400, 'This login link has expired or was already used. Please log in again.', 'Login expired');
    if (!state) throw expired;
    const saved = await this.states.get(state);
    if (!saved) throw expired;

    const appState = JSON.parse(saved.appState ?? '{}') as LoginAppState;
    if (!appState.cli && (!browserNonce || !constantTimeEqual(sha256(browserNonce), appState.browser ?? ''))) {
      // Login CSRF (ST-02): the callback came to a browser that did not begin this login. Burn the
      // state so the code can never be exchanged, and never touch the token endpoint.
      await this.states.del(state);
      this.log.warn({ event: 'atproto.login.browser_mismatch' }, 'login callback from another browser');
      throw new AppError(
        'login_browser_mismatch',
        400,
        'This login was started in a different browser or has expired. Please log in again here.',
        'Login not recognised',
      );
    }

    try {
      return await this.exchange(state, params, appState);
    } catch (error) {
      // The CLI waiting on this login must hear that it failed, not wait for it to expire (CL-04).
      if (error instanceof AppError && appState.cli) (error as AppError & LoginFailure).cliLoginId = appState.cli;
      throw error;
    }
  }

  private async exchange(state: string, params: URLSearchParams, appState: LoginAppState): Promise<CompletedLogin> {
    if (params.get('error') === 'access_denied') {
      await this.states.del(state);
      this.log.info({ event: 'atproto.login.denied' }, 'atproto authorization denied');
      throw new AppError(
        'login_denied',
        403,
        'You declined to share your identity, so you were not logged in. You can try again whenever you like.',
        'Login cancelled',
      );
    }

    let session: AtprotoSessionPort;
    try {
      ({ session } = await this.client.callback(params));
    } catch (error) {
      this.log.warn({ event: 'atproto.login.callback_failed', err: describe(error) }, 'atproto callback failed');
      if (params.get('error')) {
        throw new AppError('login_failed', 400, 'Your account server did not complete the login. Please try again.', 'Login failed');
      }
      throw new AppError('login_failed', 502, 'We could not complete the login with your account server. Please try again.', 'Login failed');
    }

    if (appState.did && session.did !== appState.did) {
      // AT-01: the account server vouched for someone other than the account the user asked for.
      await this.signOut(session);
      this.log.warn({ event: 'atproto.login.identity_mismatch', expected: appState.did, got: session.did }, 'token sub does not match the requested identity');
      throw new AppError(
        'login_identity_mismatch',
        403,
        'Your account server signed you in as a different account than the one you asked for, so we stopped.',
        'Login refused',
      );
    }

    // The token response's `sub` (a DID), `scope` (contains atproto, AT-08) and `token_type` (DPoP) are
    // validated by the library, which also re-resolves `sub` to check its issuer (AT-02).
    const handle = await this.verifiedHandle(session.did);
    const seconds = appState.begunAt ? (Date.now() - appState.begunAt) / 1000 : undefined;
    this.log.info({ event: 'atproto.login.completed', did: session.did, seconds }, 'atproto login completed');
    return { did: session.did, handle, returnTo: appState.returnTo, cliLoginId: appState.cli };
  }

  /**
   * A handle or DID someone typed (to add a collaborator) → the account's DID, with its handle when
   * the handle verifies both ways. Same syntax rules and error messages as the login box.
   */
  async resolveAccount(rawInput: string): Promise<{ did: string; handle: string | null }> {
    let input;
    try {
      input = parseLoginInput(rawInput, { allowTestTld: this.options.allowInsecure });
    } catch (error) {
      if (error instanceof LoginInputError) throw new AppError('invalid_handle', 400, error.message, 'Check the handle');
      throw error;
    }
    if (input.kind === 'service')
      throw new AppError('invalid_handle', 400, 'Enter a handle (alice.bsky.social) or a DID, not a server address.', 'Check the handle');
    try {
      const { did, handle } = await this.client.identityResolver.resolve(input.value);
      return { did, handle: handle && handle !== HANDLE_INVALID ? handle : null };
    } catch (error) {
      throw await this.identityError(error, input.value);
    }
  }

  /** Best effort: a failure to revoke is logged, never shown (the user is logging out anyway). */
  async revoke(did: string): Promise<void> {
    try {
      await this.client.revoke(did);
    } catch (error) {
      this.log.warn({ event: 'atproto.revoke_failed', did, err: describe(error) }, 'could not revoke atproto tokens');
    }
  }

  private async signOut(session: AtprotoSessionPort): Promise<void> {
    await session.signOut().catch((error) => this.log.warn({ event: 'atproto.revoke_failed', err: describe(error) }, 'revoke failed'));
  }

  private async verifiedHandle(did: string): Promise<string | null> {
    try {
      const { handle } = await this.client.identityResolver.resolve(did);
      return handle && handle !== HANDLE_INVALID ? handle : null;
    } catch {
      return null;
    }
  }

  private async identityError(error: unknown, input: string): Promise<AppError> {
    this.log.info({ event: 'atproto.login.resolve_failed', err: describe(error) }, 'could not resolve login identity');
    // Imported here, not at startup: the library is loaded by now, since the client threw `error`.
    const { OAuthResolverError } = await import('@atproto/oauth-client-node');
    if (error instanceof OAuthResolverError && !error.message.startsWith('Failed to resolve identity') && !isUnreachable(error)) {
      // The identity resolved, but its servers' OAuth metadata is malformed or inconsistent (AT-06).
      return new AppError(
        'auth_server_unsupported',
        502,
        "Your account server's OAuth configuration is invalid, so we did not log you in there.",
        'Account server not supported',
        { cause: error },
      );
    }
    if (isUnreachable(error)) {
      return new AppError(
        'identity_unreachable',
        503,
        'We could not reach the account server for that handle right now. Please try again in a minute.',
        'Account server unreachable',
        { cause: error },
      );
    }
    return new AppError(
      'identity_not_found',
      400,
      `We could not find an atproto account for "${truncateForDisplay(input)}". Check the spelling and try again.`,
      'Account not found',
      { cause: error },
    );
  }
}

function isServerOrigin(url: URL, allowHttp: boolean): boolean {
  const schemeOk = url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
  return schemeOk && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
}

/** Network-level failures (refused, reset, timed out, 5xx) as opposed to "there is no such account". */
function isUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    const { name, code, message, status } = current as { name?: string; code?: string; message?: string; status?: number };
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|UND_ERR_)/.test(code)) return true;
    if (typeof status === 'number' && status >= 500) return true;
    if (message && /fetch failed|ECONNREFUSED|timed? ?out/i.test(message)) return true;
  }
  return false;
}

/** Error text for logs only: name and message, never the response bodies a library may attach. */
function describe(error: unknown): { name: string; message: string } {
  const { name = 'Error', message = String(error) } = (error ?? {}) as { name?: string; message?: string };
  return { name, message: message.slice(0, 300) };
}
