// Page paths (`Projects/Robot Arm`) and the `[[wiki links]]` between pages.

export const MAX_PATH_LENGTH = 200;

export class PagePathError extends Error {
  override name = 'PagePathError';
}

// Characters that would make a path ambiguous inside a wiki link (`[[a|label]]`, `[[a#section]]`),
// a URL, or a terminal.
const FORBIDDEN = /[\p{Cc}\p{Cf}[\]|#\\]/u;

/**
 * Normalises a path: slashes separate segments, whitespace around each segment is dropped and runs
 * of spaces collapse. Case is kept; `Home` and `home` are two pages.
 */
export function normalizePagePath(input: string): string {
  const segments = input.split('/').map((segment) => segment.trim().replace(/\s+/g, ' '));
  const path = segments.join('/');
  if (segments.some((segment) => segment === ''))
    throw new PagePathError('A page path is one or more names separated by "/", with no empty part (no leading, trailing or double slash).');
  if (segments.some((segment) => segment === '.' || segment === '..')) throw new PagePathError('A page path cannot contain "." or ".." as a part.');
  if (FORBIDDEN.test(path)) throw new PagePathError('A page path cannot contain control characters or any of [ ] | # \\.');
  if (path.length > MAX_PATH_LENGTH) throw new PagePathError(`A page path is at most ${MAX_PATH_LENGTH} characters long.`);
  return path;
}

/**
 * `[[Target]]`, `[[Target|label]]`, `[[Target#Section]]`, not across lines; groups: target, `#section`, label.
 * Matches inside code are text: use findWikiLinks (links.ts), which knows where code is.
 */
export const WIKI_LINK = /\[\[([^[\]|#\n]+)(#[^[\]|\n]*)?(?:\|([^[\]\n]*))?\]\]/g;
