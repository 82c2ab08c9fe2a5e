// How a client-supplied label (a client_name from registration or from a Client ID Metadata
// Document) is shown to people: on the consent page, among the dashboard's connected apps, and in
// the audit log. The label is the client's claim about itself, so it must not be able to change how
// it reads (catalogue CS-05; Unicode TR #36 §2, "Trojan Source", CVE-2021-42574): `Claude\u202Egnp.live`
// would display as "Claudeevil.png".
//
// Hidden characters are shown as escapes (`\u202E`) rather than removed. Removing them would still
// hand the client a clean-looking name (and make `Cl\u200Baude` display as `Claude`); an escape shows
// the person exactly what was sent and that something was hiding there. Real clients' names contain
// none of these characters, so they are unchanged.

/** Longest label shown, in UTF-16 code units, before the ellipsis. */
export const CLIENT_LABEL_MAX = 100;

/**
 * Controls and format characters (bidi embeddings, overrides and isolates, zero-width characters),
 * surrogates, private-use and unassigned code points, line and paragraph separators, and the other
 * default-ignorable code points (invisible fillers such as U+3164, variation selectors, tags).
 */
const HIDDEN = /^[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]$/u;

function escaped(char: string): string {
  const hex = char.codePointAt(0)!.toString(16).toUpperCase();
  return hex.length <= 4 ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}

/** The label to show for `name`, or `fallback` (an id or host) when the client gave none. */
export function clientLabel(name: unknown, fallback: string): string {
  if (typeof name !== 'string' || name.trim() === '') return fallback;
  let label = '';
  // Code point by code point, so a surrogate pair is one character and an escape is never cut.
  for (const char of name) {
    const shown = HIDDEN.test(char) ? escaped(char) : char;
    if (label.length + shown.length > CLIENT_LABEL_MAX) return `${label}…`;
    label += shown;
  }
  return label;
}
