// What a person reads on one of our pages: the text of <body>, tags dropped and character
// references decoded (hono/jsx writes the five XML entities; numeric ones are decoded too, so an
// escaped control character is still seen).
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function bodyText(html: string): string {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  return body.replace(/<[^>]*>/g, ' ').replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] !== '#') return NAMED[name.toLowerCase()] ?? entity;
    return String.fromCodePoint(name[1]!.toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
  });
}

/**
 * Characters that change how text reads without being seen: controls, format characters (bidi
 * overrides and isolates, zero-width), surrogates, private-use and unassigned code points, line and
 * paragraph separators, and other default-ignorable code points (fillers such as U+3164).
 */
export const HIDDEN_CHARACTER = /[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/** The hidden characters in a page's text, ignoring the whitespace HTML collapses anyway. */
export function hiddenCharactersIn(text: string): string[] {
  return [...text.replace(/[\t\n\r]/g, ' ')].filter((char) => HIDDEN_CHARACTER.test(char));
}

/**
 * The value of the field `name` in the form whose action ends with `action` (pages carry more than one
 * form: the header bar's logout form has its own CSRF token).
 */
export function formField(html: string, action: string, name: string): string | undefined {
  for (const [, formAction, body] of html.matchAll(/<form[^>]* action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    if (!formAction!.endsWith(action)) continue;
    const field = new RegExp(`name="${name}" value="([^"]*)"`).exec(body!);
    if (field) return field[1];
  }
  return undefined;
}
