// Search by meaning: the query's vector against the wiki's chunk vectors, fused with the full-text
// search by reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009: score = Σ 1 / (k + rank),
// k = 60), so an exact term still counts and a paraphrase still finds its page. This is the one entry
// point for the semantic_search MCP tool and the browser's search box.
import { EmbeddingError, type Embedder, vectorFromBytes } from '../embeddings/embedder.ts';
import { ExpiringCache } from '../cache.ts';
import type { Logger } from '../log.ts';
import type { ChunkStore, ChunkVector } from '../store/chunks.ts';
import type { SearchHit } from '../store/pages.ts';
import type { SemanticIndex } from './semantic-index.ts';

export type SearchMode = 'hybrid' | 'vector' | 'fulltext';

export interface SemanticHit {
  path: string;
  /** The headings above the matched chunk, outermost first; empty for text before any heading. */
  headingPath: string[];
  snippet: string;
  /** When the page's words matched too: the full-text excerpt, the matched words between « and ». */
  wordSnippet?: string;
  /** Higher is better; comparable only within one answer. */
  score: number;
}

export interface SemanticAnswer {
  results: SemanticHit[];
  /** Pages of this wiki whose changes are not yet searchable by meaning, and for how long the oldest has waited. */
  index: { pending: number; lagSeconds: number };
  /** Set when the embedder failed and only full-text results are given. */
  warning?: string;
}

export interface SemanticSearchOptions {
  limit: number;
  maxChunksPerPage: number;
  mode?: SearchMode;
}

export interface WikiSemanticSearch {
  search(wikiId: string, query: string, options: SemanticSearchOptions): Promise<SemanticAnswer>;
}

export interface SemanticSearchDeps {
  chunks: ChunkStore;
  index: SemanticIndex;
  embedder: Embedder;
  /** The full-text search of the wiki's pages (WikiPages.search): its first page of hits is all it needs. */
  fullText(wikiId: string, query: string, limit: number): Promise<{ items: SearchHit[] }>;
  log: Logger;
  now: () => number;
}

const RRF_K = 60;
/** Full-text hits taken into the fusion. */
const FUSION_DEPTH = 50;
/** Queued pages of the searched wiki embedded before answering, so a page just written is found. */
const CATCH_UP_PAGES = 32;
const SNIPPET_CHARS = 240;

const rrf = (rank: number) => 1 / (RRF_K + rank + 1);

function snippetOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= SNIPPET_CHARS) return flat;
  const cut = flat.lastIndexOf(' ', SNIPPET_CHARS);
  return `${flat.slice(0, cut > SNIPPET_CHARS / 2 ? cut : SNIPPET_CHARS)}…`;
}

interface PageMatch {
  pageId: string;
  path: string;
  /** The cosine of the page's nearest chunk. */
  best: number;
  /** The page's chunks, nearest first: [ordinal, cosine]. */
  chunks(): [number, number][];
}

/** A wiki's vectors of one model in one block, as of one generation of its chunks, a page's rows together. */
interface WikiVectors {
  generation: number;
  dimensions: number;
  matrix: Float32Array;
  ordinals: Int32Array;
  /** Each page and its rows [start, end) of the matrix. */
  pages: { pageId: string; path: string; start: number; end: number }[];
}

/** Wikis whose vectors stay in memory (10,000 chunks of 100 dimensions hold 4 MB), and for how long unused. */
const CACHED_WIKIS = 8;
const CACHE_SECONDS = 300;

/** `rows` ordered by page: see ChunkStore.vectors. */
function packVectors(generation: number, rows: ChunkVector[]): WikiVectors {
  const dimensions = rows[0] ? rows[0].vector.byteLength >> 2 : 0;
  const usable = rows.filter((row) => row.vector.byteLength === dimensions * 4);
  const matrix = new Float32Array(usable.length * dimensions);
  const pages: WikiVectors['pages'] = [];
  for (const [i, row] of usable.entries()) {
    matrix.set(vectorFromBytes(row.vector), i * dimensions);
    const last = pages.at(-1);
    if (last?.pageId === row.pageId) last.end = i + 1;
    else pages.push({ pageId: row.pageId, path: row.path, start: i, end: i + 1 });
  }
  return { generation, dimensions, matrix, ordinals: Int32Array.from(usable, (row) => row.ordinal), pages };
}

/** Every chunk's cosine to the query (vectors are unit length); pages by their nearest chunk, best first. */
function nearestPages(query: Float32Array, { dimensions, matrix, ordinals, pages }: WikiVectors): PageMatch[] {
  // A query of words the embedder does not know has no direction: every page would tie.
  if (query.length !== dimensions || query.every((value) => value === 0)) return [];
  const cosines = new Float32Array(ordinals.length);
  for (let row = 0; row < cosines.length; row++) {
    let cosine = 0;
    const offset = row * dimensions;
    for (let d = 0; d < dimensions; d++) cosine += matrix[offset + d]! * query[d]!;
    cosines[row] = cosine;
  }
  const matches = pages.map(({ pageId, path, start, end }): PageMatch => {
    let best = -Infinity;
    for (let row = start; row < end; row++) best = Math.max(best, cosines[row]!);
    const chunks = () => {
      const scored: [number, number][] = [];
      for (let row = start; row < end; row++) scored.push([ordinals[row]!, cosines[row]!]);
      return scored.sort((a, b) => b[1] - a[1]);
    };
    return { pageId, path, best, chunks };
  });
  return matches.sort((a, b) => b.best - a.best);
}

export function wikiSemanticSearch(deps: SemanticSearchDeps): WikiSemanticSearch {
  const { chunks, index, embedder } = deps;
  const cache = new ExpiringCache<string, WikiVectors>(CACHED_WIKIS);

  /**
   * The wiki's vectors, from memory while its chunk generation is unchanged. The generation is read
   * before the vectors: vectors newer than their label are read again next time, never kept stale.
   */
  async function vectorsOf(wikiId: string): Promise<WikiVectors> {
    const generation = await chunks.generation(wikiId);
    const cached = cache.get(wikiId, deps.now());
    if (cached?.generation === generation) {
      cache.set(wikiId, cached, deps.now() + CACHE_SECONDS);
      return cached;
    }
    const loaded = packVectors(generation, await chunks.vectors(wikiId, embedder.modelId));
    cache.set(wikiId, loaded, deps.now() + CACHE_SECONDS);
    return loaded;
  }

  /** The wiki's pages ranked by their nearest chunk, or why not if the embedder failed. */
  async function vectorRanking(wikiId: string, query: string): Promise<PageMatch[] | { failed: string }> {
    try {
      await index.catchUp(wikiId, CATCH_UP_PAGES);
      const [vector] = await embedder.embed([query], 'query');
      return nearestPages(vector!, await vectorsOf(wikiId));
    } catch (error) {
      if (!(error instanceof EmbeddingError)) throw error;
      deps.log.warn({ err: error, event: 'semantic_search.embedder_failed', wikiId }, 'embedder failed; answering with full text only');
      return { failed: error.message };
    }
  }

  return {
    async search(wikiId, query, { limit, maxChunksPerPage, mode = 'hybrid' }) {
      // The two rankings are independent: on PostgreSQL their queries run on two connections at once.
      const [ranking, wordHits] = await Promise.all([
        mode === 'fulltext' ? [] : vectorRanking(wikiId, query),
        mode === 'vector' ? undefined : deps.fullText(wikiId, query, FUSION_DEPTH).then((hits) => hits.items),
      ]);
      const failed = 'failed' in ranking ? ranking.failed : undefined;
      const matches = 'failed' in ranking ? [] : ranking;
      // Vectors alone, unless the embedder failed: then words are all there is.
      const fullText = wordHits ?? (failed ? (await deps.fullText(wikiId, query, FUSION_DEPTH)).items : []);

      // One entry per page, by path: the score of each ranking it appears in, summed.
      const fused = new Map<string, { score: number; match?: PageMatch; hit?: SearchHit }>();
      for (const [rank, match] of matches.entries()) fused.set(match.path, { score: mode === 'vector' ? match.best : rrf(rank), match });
      for (const [rank, hit] of fullText.entries()) {
        const entry = fused.get(hit.path) ?? { score: 0 };
        fused.set(hit.path, { ...entry, score: entry.score + rrf(rank), hit });
      }
      const ranked = [...fused.entries()].sort((a, b) => b[1].score - a[1].score);

      // The passages that can be shown, fetched together: each shown page yields at least one.
      const wanted = ranked
        .flatMap(([, entry]) => (entry.match ? [entry.match] : []))
        .slice(0, limit)
        .flatMap((match) =>
          match
            .chunks()
            .slice(0, maxChunksPerPage)
            .map(([ordinal]) => ({ pageId: match.pageId, ordinal })),
        );
      const [passages, status] = await Promise.all([chunks.passages(wikiId, embedder.modelId, wanted), index.status(wikiId)]);
      const passageAt = new Map(passages.map((passage) => [`${passage.pageId}/${passage.ordinal}`, passage]));

      const results: SemanticHit[] = [];
      for (const [path, { score, match, hit }] of ranked) {
        if (results.length >= limit) break;
        if (!match) {
          results.push({ path, headingPath: [], snippet: hit!.snippet, score });
          continue;
        }
        for (const [ordinal] of match.chunks().slice(0, Math.min(maxChunksPerPage, limit - results.length))) {
          // Absent when the page was deleted or re-embedded since the vectors were read.
          const passage = passageAt.get(`${match.pageId}/${ordinal}`);
          if (passage)
            results.push({
              path: passage.path,
              headingPath: passage.headingPath,
              snippet: snippetOf(passage.content),
              ...(hit ? { wordSnippet: hit.snippet } : {}),
              score,
            });
        }
      }
      const lagSeconds = status.oldestQueuedAt === undefined ? 0 : Math.max(0, deps.now() - status.oldestQueuedAt);
      return { results, index: { pending: status.pending, lagSeconds }, ...(failed ? { warning: `Searched by words only: ${failed}` } : {}) };
    },
  };
}
