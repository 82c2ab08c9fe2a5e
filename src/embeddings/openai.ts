// An OpenAI-compatible embeddings endpoint (OpenAI, Ollama, llama.cpp's server, vLLM, …):
// POST {EMBEDDINGS_URL}/v1/embeddings with {model, input: [texts]}, answered with
// {data: [{index, embedding: number[]}]} (https://platform.openai.com/docs/api-reference/embeddings).
// The URL is the operator's own setting, often a model on loopback, so it is fetched directly rather
// than through the public-address-only fetch that guards URLs from outside (net/hardened-fetch.ts).
import { EmbeddingError, type Embedder, normalize } from './embedder.ts';

export interface OpenAiEmbedderSettings {
  /** The server's base URL, e.g. http://127.0.0.1:11434; a URL ending in /v1 is accepted too. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer …`; never logged or put in an error. */
  apiKey?: string;
  /** Texts per request (OpenAI takes up to 2,048; local servers prefer fewer). */
  batchSize?: number;
  timeoutMs?: number;
}

const DEFAULT_BATCH = 64;
const DEFAULT_TIMEOUT_MS = 30_000;
/** How much of an error answer is quoted back: enough to read the server's reason, no more. */
const QUOTED_ERROR_CHARS = 200;

export function embeddingsEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '');
  return `${base.endsWith('/v1') ? base : `${base}/v1`}/embeddings`;
}

/** The server's own reason from an error answer: OpenAI's {error: {message}}, or the text; never the key. */
function reasonIn(body: string, apiKey: string | undefined): string {
  let reason = body;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    if (typeof message === 'string') reason = message;
  } catch {
    // Not JSON: quote the text.
  }
  const flat = (apiKey ? reason.replaceAll(apiKey, '[key]') : reason).replace(/\s+/g, ' ').trim();
  return flat.length > QUOTED_ERROR_CHARS ? `${flat.slice(0, QUOTED_ERROR_CHARS)}…` : flat;
}

/** The vectors of one answer in input order, checked: one per input, all numbers, one dimension. */
function vectorsIn(answer: unknown, expected: number): Float32Array[] {
  const data = (answer as { data?: unknown })?.data;
  if (!Array.isArray(data) || data.length !== expected)
    throw new EmbeddingError(`the embeddings endpoint answered ${Array.isArray(data) ? data.length : 'no'} vectors for ${expected} texts`);
  const vectors: Float32Array[] = new Array(expected);
  for (const [position, item] of data.entries()) {
    const { index = position, embedding } = item as { index?: number; embedding?: unknown };
    if (!Number.isInteger(index) || index < 0 || index >= expected || vectors[index] !== undefined || !Array.isArray(embedding) || embedding.length === 0)
      throw new EmbeddingError('the embeddings endpoint answered a malformed vector');
    if (!embedding.every((value) => typeof value === 'number' && Number.isFinite(value)))
      throw new EmbeddingError('the embeddings endpoint answered a vector with a value that is not a number');
    vectors[index] = normalize(Float32Array.from(embedding as number[]));
  }
  if (vectors.some((vector) => vector.length !== vectors[0]!.length)) throw new EmbeddingError('the embeddings endpoint answered vectors of different lengths');
  return vectors;
}

export function openAiEmbedder(settings: OpenAiEmbedderSettings): Embedder {
  const endpoint = embeddingsEndpoint(settings.url);
  const batchSize = settings.batchSize ?? DEFAULT_BATCH;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;

  async function request(input: readonly string[]): Promise<Float32Array[]> {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: settings.model, input }),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      const cause = ((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).message;
      throw new EmbeddingError(
        timedOut
          ? `the embeddings endpoint ${endpoint} did not answer within ${timeoutMs / 1000} s`
          : `cannot reach the embeddings endpoint ${endpoint}: ${cause}`,
      );
    }
    const body = await response.text().catch(() => '');
    if (!response.ok) {
      const hint =
        response.status === 401 || response.status === 403
          ? ' (check EMBEDDINGS_API_KEY)'
          : response.status === 404
            ? ' (check EMBEDDINGS_URL and EMBEDDINGS_MODEL)'
            : '';
      throw new EmbeddingError(`the embeddings endpoint answered ${response.status}${hint}: ${reasonIn(body, settings.apiKey) || response.statusText}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new EmbeddingError('the embeddings endpoint answered something that is not JSON');
    }
    return vectorsIn(parsed, input.length);
  }

  return {
    modelId: `openai:${settings.model}`,
    async embed(texts) {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) vectors.push(...(await request(texts.slice(start, start + batchSize))));
      return vectors;
    },
  };
}
