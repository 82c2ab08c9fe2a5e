// A scriptable OpenAI-compatible embeddings server on loopback (POST /v1/embeddings), for the
// OpenAI-compatible embedder and for a platform configured with EMBEDDINGS_URL. By default it answers
// like a real one, with a bag-of-words vector per input (each word hashed into one of DIMENSIONS
// dimensions), so texts sharing words are near; a test can replace the answer to provoke faults.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_DIMENSIONS = 32;

export interface EmbeddingsRequest {
  path: string;
  authorization: string | undefined;
  body: { model?: string; input?: string[] };
}

type Answer = (request: EmbeddingsRequest, response: ServerResponse) => void;

export function bagOfWords(text: string): number[] {
  const vector = new Array<number>(FAKE_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let hash = 0;
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    vector[hash % FAKE_DIMENSIONS]! += 1;
  }
  return vector;
}

/** The protocol's answer: one {index, embedding} per input, here in reverse order (the index decides). */
export const answerLikeOpenAi: Answer = (request, response) => {
  const input = request.body.input ?? [];
  const data = input.map((text, index) => ({ object: 'embedding', index, embedding: bagOfWords(text) })).reverse();
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ object: 'list', data, model: request.body.model }));
};

export class FakeEmbeddings {
  readonly requests: EmbeddingsRequest[] = [];
  answer: Answer = answerLikeOpenAi;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeEmbeddings> {
    let fake: FakeEmbeddings | undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeEmbeddings(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const request: EmbeddingsRequest = { path: req.url ?? '', authorization: req.headers.authorization, body: text ? JSON.parse(text) : {} };
    this.requests.push(request);
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    this.answer(request, res);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
