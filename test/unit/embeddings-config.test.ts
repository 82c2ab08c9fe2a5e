// EMBEDDINGS_URL / EMBEDDINGS_MODEL / EMBEDDINGS_API_KEY (DESIGN.md §7): unset means the embedded
// word vectors; a URL needs a model; a key never travels over plain http beyond loopback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';

const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/robot-config-test', ...env }).embeddings;

test('unset: the embedded default', () => {
  assert.equal(load({}), undefined);
});

test('a URL with a model, with or without a key', () => {
  assert.deepEqual(load({ EMBEDDINGS_URL: 'http://127.0.0.1:11434/', EMBEDDINGS_MODEL: 'nomic-embed-text' }), {
    url: 'http://127.0.0.1:11434',
    model: 'nomic-embed-text',
    apiKey: undefined,
  });
  assert.deepEqual(load({ EMBEDDINGS_URL: 'https://api.example/v1', EMBEDDINGS_MODEL: 'text-embedding-3-small', EMBEDDINGS_API_KEY: 'sk-x' }), {
    url: 'https://api.example/v1',
    model: 'text-embedding-3-small',
    apiKey: 'sk-x',
  });
  assert.equal(load({ EMBEDDINGS_URL: 'http://ollama:11434', EMBEDDINGS_MODEL: 'm' })?.url, 'http://ollama:11434');
});

test('incomplete or unsafe settings are refused with the variable named', () => {
  assert.throws(() => load({ EMBEDDINGS_URL: 'http://127.0.0.1:11434' }), /^ConfigError: EMBEDDINGS_MODEL: required with EMBEDDINGS_URL/);
  assert.throws(() => load({ EMBEDDINGS_MODEL: 'm' }), /^ConfigError: EMBEDDINGS_URL: required when EMBEDDINGS_MODEL or EMBEDDINGS_API_KEY is set$/);
  assert.throws(() => load({ EMBEDDINGS_URL: 'ftp://x', EMBEDDINGS_MODEL: 'm' }), /^ConfigError: EMBEDDINGS_URL: must be https or http$/);
  assert.throws(
    () => load({ EMBEDDINGS_URL: 'http://embeddings.example', EMBEDDINGS_MODEL: 'm', EMBEDDINGS_API_KEY: 'sk-x' }),
    /^ConfigError: EMBEDDINGS_URL: must be https when EMBEDDINGS_API_KEY is set, unless it is a loopback address$/,
  );
});
