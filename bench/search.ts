// `npm run bench:search`: the quality and the speed of semantic search with the embedded embedder.
//
// Quality: the evaluation set in bench/eval/ (pages-*.md: pages on varied topics, `=== Path` before
// each; queries.tsv: questions that paraphrase a page rather than repeat its words, each with the page
// it should find; keyword-queries.tsv: a few of a page's own words, as a check that fusion keeps what
// full text finds). For full text alone, vectors alone and hybrid: recall@5 (the expected page among
// the first five pages) and MRR (1 / its rank among the first ten, 0 if absent), on SQLite and PostgreSQL.
//
// Speed: a wiki of 10,000 chunks (generated from the set's own sentences), semantic_search's p50 over
// the set's queries, in three rounds; the median of each round is reported.
//
// DATABASE_URL names the PostgreSQL server to create a scratch database on; BENCH_DATABASES=sqlite
// leaves PostgreSQL out.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configuredEmbedder } from '../src/embeddings/configured.ts';
import { createLogger } from '../src/log.ts';
import { chunkStore } from '../src/store/chunks.ts';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../src/store/database.ts';
import { pageStore } from '../src/store/pages.ts';
import { wikiPages, type WikiPages } from '../src/wiki/pages.ts';
import { semanticIndex } from '../src/wiki/semantic-index.ts';
import { type SearchMode, type WikiSemanticSearch, wikiSemanticSearch } from '../src/wiki/semantic-search.ts';
import { createTestDatabase } from '../test/helpers/databases.ts';
import { markdownTable } from './markdown-table.ts';

const EVAL_DIR = path.join(import.meta.dirname, 'eval');
const MODES: SearchMode[] = ['fulltext', 'vector', 'hybrid'];
const LATENCY_CHUNKS = 10_000;
const ROUNDS = 3;

interface Query {
  query: string;
  expected: string;
}

interface EvalSet {
  pages: { path: string; content: string }[];
  queries: Query[];
  keywordQueries: Query[];
}

function readQueries(file: string, known: Set<string>): Query[] {
  const queries = readFileSync(path.join(EVAL_DIR, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [expected, query] = line.split('\t');
      return { expected: expected!, query: query! };
    });
  for (const { expected } of queries) if (!known.has(expected)) throw new Error(`${file} names a page that is not in the set: ${expected}`);
  return queries;
}

function readEvalSet(): EvalSet {
  const pages = readdirSync(EVAL_DIR)
    .filter((name) => /^pages-.*\.md$/.test(name))
    .sort()
    .flatMap((name) =>
      readFileSync(path.join(EVAL_DIR, name), 'utf8')
        .split(/^=== /m)
        .filter((part) => part.trim())
        .map((part) => {
          const newline = part.indexOf('\n');
          return { path: part.slice(0, newline).trim(), content: part.slice(newline + 1).trim() };
        }),
    );
  const known = new Set(pages.map((page) => page.path));
  return { pages, queries: readQueries('queries.tsv', known), keywordQueries: readQueries('keyword-queries.tsv', known) };
}

interface Stack {
  pages: WikiPages;
  search: WikiSemanticSearch;
  catchUp(wikiId: string): Promise<void>;
}

function stackOn(database: DatabaseHandle): Stack {
  const now = () => Math.floor(Date.now() / 1000);
  const pages = wikiPages(pageStore(database.db), { pageBytes: 1 << 20, wikiBytes: 1 << 30 }, now);
  const embedder = configuredEmbedder(undefined);
  const chunks = chunkStore(database.sql);
  const index = semanticIndex(chunks, embedder, now);
  const search = wikiSemanticSearch({ chunks, index, embedder, fullText: pages.search, log: createLogger('silent'), now });
  return {
    pages,
    search,
    async catchUp(wikiId) {
      while ((await index.catchUp(wikiId, 500)) > 0);
    },
  };
}

/** Distinct pages in the order of their first passage. */
const rankedPages = (results: { path: string }[]) => [...new Set(results.map((result) => result.path))];

async function quality(stack: Stack, queries: Query[]): Promise<Record<SearchMode, { recall5: number; mrr: number }>> {
  const scores = {} as Record<SearchMode, { recall5: number; mrr: number }>;
  for (const mode of MODES) {
    let found = 0;
    let reciprocal = 0;
    for (const { query, expected } of queries) {
      const answer = await stack.search.search('eval', query, { limit: 10, maxChunksPerPage: 1, mode });
      const rank = rankedPages(answer.results).indexOf(expected);
      if (rank !== -1 && rank < 5) found++;
      if (rank !== -1) reciprocal += 1 / (rank + 1);
    }
    scores[mode] = { recall5: found / queries.length, mrr: reciprocal / queries.length };
  }
  return scores;
}

/** Pages of five sections of sentences drawn from the set, until the wiki holds `chunks` chunks. */
async function fillWiki(stack: Stack, set: EvalSet, chunks: number): Promise<void> {
  const sentences = set.pages.flatMap((page) => page.content.split(/(?<=\.)\s+|\n/).filter((line) => line.length > 20 && !line.startsWith('#')));
  // A fixed linear congruential sequence: every run builds the same wiki.
  let seed = 7;
  const pick = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return sentences[seed % sentences.length]!;
  };
  for (let n = 0; n < chunks / 5; n++) {
    const sections = Array.from({ length: 5 }, (_, s) => `## Section ${s + 1}\n${pick()} ${pick()} ${pick()}`);
    await stack.pages.write('big', 'bench', { path: `Generated/Page ${n}`, content: sections.join('\n\n') });
  }
  await stack.catchUp('big');
}

async function latency(stack: Stack, set: EvalSet): Promise<number[]> {
  const medians: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const times: number[] = [];
    for (const { query } of set.queries) {
      const started = performance.now();
      await stack.search.search('big', query, { limit: 10, maxChunksPerPage: 2 });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    medians.push(times[Math.floor(times.length / 2)]!);
  }
  return medians;
}

const set = readEvalSet();
const backends = (process.env.BENCH_DATABASES ?? 'sqlite,postgres').split(',').map((name) => name.trim()) as ('sqlite' | 'postgres')[];
console.log(`evaluation set: ${set.pages.length} pages, ${set.queries.length} paraphrasing and ${set.keywordQueries.length} keyword queries`);
const qualityRows = [['database, ranking', 'paraphrases: recall@5', 'MRR@10', 'keywords: recall@5', 'MRR@10']];
const latencyRows = [['database', ...Array.from({ length: ROUNDS }, (_, i) => `p50 run ${i + 1} (ms)`), 'median (ms)']];
for (const backend of backends) {
  const scratch = await createTestDatabase(backend, process.env.DATABASE_URL);
  const database = await openDatabase(scratch.url);
  try {
    await migrateToLatest(database.db);
    const stack = stackOn(database);
    for (const page of set.pages) await stack.pages.write('eval', 'bench', page);
    await stack.catchUp('eval');
    const paraphrases = await quality(stack, set.queries);
    const keywords = await quality(stack, set.keywordQueries);
    for (const mode of MODES)
      qualityRows.push([`${backend}, ${mode}`, ...[paraphrases[mode], keywords[mode]].flatMap((score) => [score.recall5.toFixed(3), score.mrr.toFixed(3)])]);
    const started = performance.now();
    await fillWiki(stack, set, LATENCY_CHUNKS);
    console.log(`${backend}: ${LATENCY_CHUNKS} chunks written and embedded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const medians = await latency(stack, set);
    const sorted = [...medians].sort((a, b) => a - b);
    latencyRows.push([backend, ...medians.map((ms) => ms.toFixed(1)), sorted[Math.floor(sorted.length / 2)]!.toFixed(1)]);
  } finally {
    await database.close();
    await scratch.drop();
  }
}
console.log(`\n${markdownTable(qualityRows)}\n\nsemantic_search (hybrid) at ${LATENCY_CHUNKS} chunks, embedded embedder\n\n${markdownTable(latencyRows)}`);
