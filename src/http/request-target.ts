// The path and query of a request URL exactly as `new URL(url)` gives them (`pathname`, `search`),
// without parsing a URL again on every request when the answer is already in the string (the access
// log and the URL guard both read them). @hono/node-server hands us either a URL it has serialised or
// the request target as received when that is plain ASCII, so the common case only needs slicing.

/** A path the WHATWG URL parser leaves as it is: printable ASCII it does not escape (RFC 3986 pchar). */
const PLAIN_PATH = /^\/[-\w.~!$&'()*+,;=:@/%]*$/;
/** `.` and `..` segments, escaped or not, which the parser removes. */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i;
/** A query the parser leaves as it is: printable ASCII except space, `"`, `#`, `'`, `<` and `>`. */
const PLAIN_QUERY = /^\?[!$%&(-;=?-~]*$/;

export interface RequestTarget {
  pathname: string;
  search: string;
}

export function requestTarget(url: string): RequestTarget {
  const pathStart = url.indexOf('/', url.indexOf('://') + 3);
  const queryStart = url.indexOf('?', pathStart);
  const pathname = queryStart === -1 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
  const query = queryStart === -1 ? '' : url.slice(queryStart);
  if (pathStart !== -1 && PLAIN_PATH.test(pathname) && !DOT_SEGMENT.test(pathname) && (query === '' || PLAIN_QUERY.test(query))) {
    // An empty query (`…?`) is no search at all to the URL parser.
    return { pathname, search: query.length > 1 ? query : '' };
  }
  const parsed = new URL(url);
  return { pathname: parsed.pathname, search: parsed.search };
}
