// The client commands' side of the management API (/api/v1): the stored `robot login` credential as
// the bearer token, and a problem answer (RFC 9457) turned into one line a person can act on.
import { readLogin } from './credentials.ts';
import { CliFailure } from './failure.ts';

/** An answer other than success, with its status. */
export class ApiFailure extends CliFailure {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiBody {
  json?: unknown;
  zip?: Uint8Array;
}

function bearer(server: string): string {
  const stored = readLogin(server);
  if (!stored) throw new CliFailure(`not logged in to ${server}; run robot login <handle> --server ${server}`);
  return stored.token;
}

/** Calls the API and returns the answer of a success; any other answer is a CliFailure. */
export async function callApi(server: string, method: string, path: string, body: ApiBody = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${bearer(server)}`, accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body.zip) {
    headers['content-type'] = 'application/zip';
    payload = Buffer.from(body.zip);
  }
  let response: Response;
  try {
    response = await fetch(`${server}/api/v1${path}`, { method, headers, body: payload });
  } catch {
    throw new CliFailure(`cannot reach ${server}`);
  }
  if (response.ok) return response;
  const problem = (await response.json().catch(() => undefined)) as { detail?: string } | undefined;
  const detail = problem?.detail ?? `the server answered ${response.status}`;
  if (response.status === 401) throw new ApiFailure(401, `the stored credential for ${server} no longer works (${detail}); run robot login again`);
  throw new ApiFailure(response.status, detail);
}

export const slugPath = (slug: string) => `/wikis/${encodeURIComponent(slug)}`;
