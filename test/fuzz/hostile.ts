// What the fuzz suite throws at every entry point: hostile strings, their percent-encodings (valid or
// not), form and JSON bodies, and the headers that choose how a body is read. Plausible values are
// mixed in so that runs also get past the first check and reach the handlers behind it.
import fc from 'fast-check';
import { CAROL_DID } from '../helpers/fake-atproto.ts';

export const MEGABYTE = 1024 * 1024;

/**
 * Values with a known effect somewhere. No server URLs: a login naming one would dial it (and an
 * unreachable account server is rightly a 503); the fake atproto network answers the handle and DID.
 */
// prettier-ignore
const PLAUSIBLE = [
  'notes',
  'carol.test',
  CAROL_DID,
  'read',
  'write',
  'on',
  'approve',
  'deny',
  'wiki:read wiki:write',
  'authorization_code',
  'refresh_token',
  'code',
  'S256',
  'none',
  'app.example/cb',
  '/app/',
  'Home',
  'Projects/Robot Arm',
  '1',
  '0',
  '-1',
  '1e309',
  'true',
];
/** NUL and controls, unpaired surrogates, bidi and invisible formatting, markup, traversal, injection. */
// prettier-ignore
const NASTY = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '\u202egnp.exe',
  '\u2066x\u2069',
  '\u200b',
  '\ufeff',
  '\u0085',
  '\u001b[31m',
  '\r\nSet-Cookie: x=1',
  '\t',
  '\u007f',
  '<script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  '../../etc/passwd',
  '..\\..',
  "' or 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  '${7*7}',
  '__proto__',
  'constructor',
  '[[Home]]',
  '%00',
  '%ff',
  '%ed%a0%80',
  '%',
  '',
  ' ',
  '\u{10ffff}',
  '𝕏',
];

/** Printable text that a person might send. */
export const plausibleText: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...PLAUSIBLE), fc.string({ unit: 'grapheme', maxLength: 24 }));

/** A hostile string of up to a few KiB (may hold NUL or an unpaired surrogate). */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 3, arbitrary: plausibleText },
  // Plausible text with one character that must never reach a store: the shape of most real mistakes.
  {
    weight: 3,
    arbitrary: fc
      .tuple(plausibleText, fc.constantFrom('\u0000', '\u0001', '\u001f', '\ud800', '\udc00', '\u007f'), plausibleText)
      .map((parts) => parts.join('')),
  },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...NASTY), plausibleText, fc.string({ unit: 'binary', maxLength: 12 })), {
        maxLength: 5,
      })
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.constantFrom(300, 9_000).map((length) => 'A'.repeat(length)) },
);

/** As `hostileText`, and now and then a megabyte long (bodies and JSON-RPC arguments, not URLs). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constant('A'.repeat(MEGABYTE)) },
);

/** UTF-8 percent-encoding, as a browser sends text (an unpaired surrogate becomes U+FFFD, as TextEncoder makes it). */
export const percentEncode = (value: string) => encodeURIComponent(value.replace(/[\ud800-\udfff]/gu, '\ufffd'));

/** A piece of a URL or form body as sent: encoded text, or escapes that are not UTF-8 (overlong, surrogate, cut). */
export const encodedPiece: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileText.map(percentEncode) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...'%00 %ff %fe%ff %c0%80 %c0%af %ed%a0%80 %e2%82 %f4%90%80%80 %0d%0a %2e%2e %2f %5c % %zz +'.split(' ')),
  },
);

/** `name=value&…` pairs; names repeat freely (duplicated parameters), bracket names too; values clean or hostile. */
export const encodedPairs = (names: string[], values: fc.Arbitrary<string> = fc.oneof(plausibleText.map(percentEncode), encodedPiece)) =>
  fc
    .array(fc.tuple(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names, 'scope[]', 'client_id[0]') }, encodedPiece), values), { maxLength: 8 })
    .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('&'));

/** JSON nested `depth` deep, arrays or objects. */
const nested = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const JSON_KEYS = 'client_name redirect_uris scope token_endpoint_auth_method jsonrpc method params id'.split(' ');

/** JSON, valid or not: hostile strings (JSON.stringify writes unpaired surrogates as \ud800), deep nesting, junk. */
export const hostileJson: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .dictionary(
        fc.oneof(fc.constantFrom(...JSON_KEYS), hostileText),
        fc.oneof(hostileString, fc.array(hostileText, { maxLength: 3 }), fc.jsonValue({ maxDepth: 3 })),
        { maxKeys: 5 },
      )
      .map((value) => JSON.stringify(value)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(100, 10_000, 100_000), fc.constantFrom<'array' | 'object'>('array', 'object'))
      .map(([depth, kind]) => nested(depth, kind)),
  },
  {
    weight: 1,
    // prettier-ignore
    arbitrary: fc.constantFrom(
      '',
      'null',
      '[]',
      '"str"',
      '{"a":',
      '{"a":1,}',
      '\ufeff{}',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"a":1,"a":2}',
    ),
  },
);

/** Content types: the right one, wrong ones, charset variants and none. */
// prettier-ignore
export const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/grpc',
  'application/connect+json',
  '',
);

/** A request body in some encoding (the content type is chosen separately, so they often disagree). */
export const hostileBody = (formNames: string[]) =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: encodedPairs(formNames, fc.oneof(plausibleText.map(percentEncode), encodedPiece, hostileString.map(percentEncode))),
    },
    { weight: 3, arbitrary: hostileJson },
    {
      weight: 1,
      arbitrary: fc.constantFrom('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\u0000\r\n--x--', `handle=${'a'.repeat(MEGABYTE)}`),
    },
  );
