// Base64 (RFC 4648 §4) for attachment content in MCP tool calls. Node's decoder skips characters it
// does not know, so a damaged upload would be stored silently; this one refuses anything that is not
// canonical base64, and tells the decoded size before decoding.

/** Whitespace (line-wrapped base64, RFC 2045 §6.8 style) is allowed and ignored. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The decoded size of `text`, or undefined when it is not base64. */
export function base64Size(text: string): number | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

export const withoutWhitespace = (text: string) => (/\s/.test(text) ? text.replace(/\s+/g, '') : text);

/** Encodes a sequence of chunks as one base64 text, carrying the bytes that do not fill a 3-byte group. */
export async function base64Of(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: string[] = [];
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 3);
    parts.push(bytes.subarray(0, whole).toString('base64'));
    carry = bytes.subarray(whole);
  }
  parts.push(carry.toString('base64'));
  return parts.join('');
}
