// The name a client gives itself at InitiateLogin ("robot CLI on laptop"). Whoever calls the RPC
// chooses it, so the confirmation page shows it only as an unverified label, and it is kept to
// characters that cannot pass for markup, a link, a handle or reordered text (no `<`, `/`, `:`,
// `@`, no bidi or other control characters): ASCII letters and digits, space, and . , ' ( ) _ -
// (catalogue CL-03).
const OUTSIDE_SAFE_SET = /[^A-Za-z0-9 .,'()_-]+/g;
export const CLIENT_LABEL_MAX = 64;
const FALLBACK = 'robot CLI';

export function clientLabel(requested: string): string {
  const label = requested
    .slice(0, 4 * CLIENT_LABEL_MAX)
    .normalize('NFKC')
    .replace(OUTSIDE_SAFE_SET, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, CLIENT_LABEL_MAX)
    .trim();
  return label || FALLBACK;
}
