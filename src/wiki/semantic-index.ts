// Keeps each page's chunk vectors current. Writes only queue a page (database triggers, migration 012);
// this embeds queued pages outside the write, because an embedder may be a remote model, and stores
// the chunks only if the page did not change meanwhile (store/chunks.ts `replace`). Runs in the
// background, before a search of the wiki being searched, and for `robot reindex`.
import { vectorBytes, type Embedder } from '../embeddings/embedder.ts';
import type { Logger } from '../log.ts';
import type { ChunkStore, QueuedPage, QueueStatus } from '../store/chunks.ts';
import { chunkMarkdown } from './chunks.ts';

/** Pages embedded together: one embedder call covers their chunks. */
const BATCH_PAGES = 16;

export interface SemanticIndex {
  readonly modelId: string;
  /**
   * Embeds queued pages of the wiki (of every wiki without one), at most `maxPages` attempts, longest
   * waiting first; resolves to how many pages were brought up to date.
   */
  catchUp(wikiId: string | undefined, maxPages: number): Promise<number>;
  status(wikiId: string): Promise<QueueStatus>;
  /** Queues every page of the wiki, or of all wikis, to be embedded again; returns how many. */
  queueAll(wikiId: string | undefined): Promise<number>;
  /** Queues pages embedded by another model than this one (the configured model changed). */
  queueOtherModels(): Promise<number>;
}

/** What a chunk's vector is made of: where it sits (page name, headings) and its text. */
export function chunkInput(path: string, headingPath: string[], text: string): string {
  return [path.split('/').join(' / '), ...headingPath, text].join('\n');
}

export function semanticIndex(chunks: ChunkStore, embedder: Embedder, now: () => number): SemanticIndex {
  async function embedPages(pages: QueuedPage[]): Promise<number> {
    const split = pages.map((page) => chunkMarkdown(page.content));
    const inputs = pages.flatMap((page, i) => split[i]!.map((chunk) => chunkInput(page.path, chunk.headingPath, chunk.text)));
    const vectors = inputs.length > 0 ? await embedder.embed(inputs, 'passage') : [];
    let next = 0;
    let stored = 0;
    for (const [i, page] of pages.entries()) {
      const pageChunks = split[i]!.map((chunk) => ({ headingPath: chunk.headingPath, content: chunk.text, vector: vectorBytes(vectors[next++]!) }));
      if (await chunks.replace(page, embedder.modelId, pageChunks)) stored++;
    }
    return stored;
  }

  return {
    modelId: embedder.modelId,
    async catchUp(wikiId, maxPages) {
      let attempts = 0;
      let stored = 0;
      while (attempts < maxPages) {
        const pages = await chunks.queued(wikiId, Math.min(BATCH_PAGES, maxPages - attempts));
        if (pages.length === 0) break;
        attempts += pages.length;
        stored += await embedPages(pages);
      }
      return stored;
    },
    status: (wikiId) => chunks.status(wikiId),
    queueAll: (wikiId) => chunks.queueAll(wikiId, now()),
    queueOtherModels: () => chunks.queueOtherModels(embedder.modelId, now()),
  };
}

export interface BackgroundIndexer {
  /** Stops the timer and waits for a round in progress, so the database can be closed after. */
  stop(): Promise<void>;
}

/** After a failed round, rounds are skipped: 1, 3, 7, … up to this many (5 minutes at 5 s). */
const MAX_SKIPPED_ROUNDS = 60;

/**
 * Every `intervalMs`, embeds whatever is queued, across wikis, until the queue is empty; first queues
 * pages embedded by another model. An idle queue costs one small query a tick and loads no model. An
 * embedder that is down is retried less and less often, so the log is not flooded.
 */
export function indexInBackground(index: SemanticIndex, log: Logger, intervalMs: number): BackgroundIndexer {
  let current: Promise<void> | undefined;
  let modelsChecked = false;
  let failures = 0;
  let skip = 0;
  const round = async () => {
    try {
      if (!modelsChecked) {
        const requeued = await index.queueOtherModels();
        if (requeued > 0)
          log.info({ event: 'semantic_index.model_changed', pages: requeued, model: index.modelId }, 'pages queued for the new embedding model');
        modelsChecked = true;
      }
      let embedded = 0;
      for (let done = await index.catchUp(undefined, 64); done > 0; done = await index.catchUp(undefined, 64)) embedded += done;
      if (embedded > 0) log.debug({ event: 'semantic_index.caught_up', pages: embedded }, 'pages embedded');
      failures = 0;
    } catch (error) {
      failures++;
      skip = Math.min(2 ** failures - 1, MAX_SKIPPED_ROUNDS);
      log.warn(
        { err: error, event: 'semantic_index.failed', retryInSeconds: ((skip + 1) * intervalMs) / 1000 },
        'embedding queued pages failed; retrying later',
      );
    }
  };
  const tick = () => {
    if (skip > 0) {
      skip--;
      return;
    }
    current ??= round().finally(() => {
      current = undefined;
    });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
