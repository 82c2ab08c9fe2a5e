// The one interface both embedders meet: texts in, unit-length vectors out, under a model id that is
// stored beside every vector, so that vectors of another model are never compared with these.

export interface Embedder {
  /** Names the model and its settings; a stored vector whose id differs is stale and re-embedded. */
  readonly modelId: string;
  /** Which input a text is: some models embed queries and passages differently. */
  embed(texts: readonly string[], kind: 'query' | 'passage'): Promise<Float32Array[]>;
}

/** The embedder could not answer; the message says what to check and carries no credential. */
export class EmbeddingError extends Error {
  override name = 'EmbeddingError';
}

/** Scales `vector` to unit length in place (a zero vector stays zero), so a dot product is the cosine. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const length = Math.sqrt(sum);
  if (length > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= length;
  return vector;
}

/** Float32 little-endian bytes, as vectors are stored (a blob on SQLite, bytea on PostgreSQL). */
export function vectorBytes(vector: Float32Array): Buffer {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes;
}

export function vectorFromBytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(bytes.byteLength >> 2);
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}
