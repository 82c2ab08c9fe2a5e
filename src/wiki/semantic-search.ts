// Search by meaning: the query's vector against the wiki's chunk vectors, fused with the full-text
// search by reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009: score = Σ 1 / (k + rank),
// k = 60), so an exact term still counts and a paraphrase still finds its page. This is the one entry
// point for the semantic_search MCP tool and the browser's search box.
import { EmbeddingError, type Embedder, vectorFromBytes } from '../embeddings/embedder.ts';
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
  /** The existing full-text search (wiki/pages.ts). */
  fullText(wikiId: string, query: string, limit: number): Promise<SearchHit[]>;
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
  /** The page's chunks by cosine to the query, best first: [ordinal, cosine]. */
  chunks: [number, number][];
}

/** Every chunk's cosine to the query (vectors are unit length), grouped by page, pages best first. */
function nearestPages(query: Float32Array, rows: ChunkVector[]): PageMatch[] {
  const byPage = new Map<string, PageMatch>();
  for (const row of rows) {
    const vector = vectorFromBytes(row.vector);
    if (vector.length !== query.length) continue;
    let cosine = 0;
    for (let d = 0; d < vector.length; d++) cosine += vector[d]! * query[d]!;
    const page = byPage.get(row.pageId) ?? { pageId: row.pageId, chunks: [] };
    page.chunks.push([row.ordinal, cosine]);
    byPage.set(row.pageId, page);
  }
  const pages = [...byPage.values()];
  for (const page of pages) page.chunks.sort((a, b) => b[1] - a[1]);
  return pages.sort((a, b) => b.chunks[0]![1] - a.chunks[0]![1]);
}

export function wikiSemanticSearch(deps: SemanticSearchDeps): WikiSemanticSearch {
  const { chunks, index, embedder } = deps;

  /** The wiki's pages ranked by their nearest chunk, or undefined (with why) if the embedder failed. */
  async function vectorRanking(wikiId: string, query: string): Promise<{ pages: PageMatch[]; paths: Map<string, string> } | { failed: string }> {
    try {
      await index.catchUp(wikiId, CATCH_UP_PAGES);
      const [vector] = await embedder.embed([query], 'query');
      const rows = await chunks.vectors(wikiId, embedder.modelId);
      return { pages: nearestPages(vector!, rows), paths: new Map(rows.map((row) => [row.pageId, row.path])) };
    } catch (error) {
      if (!(error instanceof EmbeddingError)) throw error;
      deps.log.warn({ err: error, event: 'semantic_search.embedder_failed', wikiId }, 'embedder failed; answering with full text only');
      return { failed: error.message };
    }
  }

  return {
    async search(wikiId, query, { limit, maxChunksPerPage, mode = 'hybrid' }) {
      const vectors = mode === 'fulltext' ? { pages: [], paths: new Map<string, string>() } : await vectorRanking(wikiId, query);
      const failed = 'failed' in vectors ? vectors.failed : undefined;
      const matches = 'failed' in vectors ? [] : vectors.pages;
      const fullText = mode === 'vector' && !failed ? [] : await deps.fullText(wikiId, query, FUSION_DEPTH);

      // One entry per page, by path: the score of each ranking it appears in, summed.
      const fused = new Map<string, { score: number; match?: PageMatch; hit?: SearchHit }>();
      const paths = 'failed' in vectors ? new Map<string, string>() : vectors.paths;
      for (const [rank, match] of matches.entries()) {
        const path = paths.get(match.pageId)!;
        fused.set(path, { score: mode === 'vector' ? match.chunks[0]![1] : rrf(rank), match });
      }
      for (const [rank, hit] of fullText.entries()) {
        const entry = fused.get(hit.path) ?? { score: 0 };
        fused.set(hit.path, { ...entry, score: entry.score + rrf(rank), hit });
      }
      const ranked = [...fused.entries()].sort((a, b) => b[1].score - a[1].score);

      const results: SemanticHit[] = [];
      for (const [path, { score, match, hit }] of ranked) {
        if (results.length >= limit) break;
        if (!match) {
          results.push({ path, headingPath: [], snippet: hit!.snippet, score });
          continue;
        }
        const texts = await chunks.texts(match.pageId, embedder.modelId);
        if (texts.path === undefined) continue;
        for (const [ordinal] of match.chunks.slice(0, Math.min(maxChunksPerPage, limit - results.length))) {
          const chunk = texts.chunks.find((c) => c.ordinal === ordinal);
          if (chunk) results.push({ path: texts.path, headingPath: chunk.headingPath, snippet: snippetOf(chunk.content), score });
        }
      }
      const status = await index.status(wikiId);
      const lagSeconds = status.oldestQueuedAt === undefined ? 0 : Math.max(0, deps.now() - status.oldestQueuedAt);
      return { results, index: { pending: status.pending, lagSeconds }, ...(failed ? { warning: `Searched by words only: ${failed}` } : {}) };
    },
  };
}
