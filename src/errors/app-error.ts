// One error type for everything a user or client may be told. `code` is stable (tests and logs key
// on it); `message` is written for the person reading the page; internal causes stay in the log.

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 502 | 503,
    message: string,
    readonly title = 'Something went wrong',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const internalError = () => new AppError('server_error', 500, 'An internal error occurred. Please try again in a moment.');
/** The store is briefly out of reach (catalogue DB-01, DB-02): 503, so clients and people retry. */
export const storeUnavailable = () =>
  new AppError('server_error', 503, 'The service is briefly unavailable. Please try again in a moment.', 'Try again shortly');
/** A form whose CSRF value, pending request or login is gone or does not match (catalogue CS-01, CS-02). */
export const formExpired = (message = 'This form expired or did not come from this site. Reload the page and try again.') =>
  new AppError('csrf_failed', 403, message, 'Form expired');
/** A request refused for where it came from rather than what it asked. */
export const forbidden = (message: string) => new AppError('forbidden', 403, message, 'Request refused');
