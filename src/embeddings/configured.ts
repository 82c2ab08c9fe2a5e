// The embedder a deployment uses: an OpenAI-compatible endpoint when one is configured
// (EMBEDDINGS_URL, EMBEDDINGS_MODEL, EMBEDDINGS_API_KEY), else the embedded word vectors, which every
// platform in the process shares and which are read from the package on the first embed only.
import { lazily } from '../lazy.ts';
import type { Embedder } from './embedder.ts';
import { openAiEmbedder, type OpenAiEmbedderSettings } from './openai.ts';
import { loadWordVectors, wordVectorEmbedder } from './word-vectors.ts';

const sharedWordVectors = lazily(loadWordVectors);

export function configuredEmbedder(endpoint: OpenAiEmbedderSettings | undefined): Embedder {
  return endpoint ? openAiEmbedder(endpoint) : wordVectorEmbedder(sharedWordVectors);
}
