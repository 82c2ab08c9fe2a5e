// `robot reindex [SLUG]`: embeds every page of one wiki, or of all, again, with the configured
// embedder (EMBEDDINGS_URL, or the embedded word vectors), and waits until they are done. Needed after
// changing the embedding model only to have it done now: a running server re-embeds by itself.
import { loadConfig } from '../config/config.ts';
import { configuredEmbedder } from '../embeddings/configured.ts';
import { EmbeddingError } from '../embeddings/embedder.ts';
import { nowSeconds } from '../keys/keystore.ts';
import { chunkStore } from '../store/chunks.ts';
import { migrateToLatest, openDatabase } from '../store/database.ts';
import { wikiStore } from '../store/wikis.ts';
import { semanticIndex } from '../wiki/semantic-index.ts';
import { CliFailure } from './failure.ts';

/** Pages per round, between which the count is reported. */
const ROUND_PAGES = 256;

export async function reindex(slug: string | undefined, out: (line: string) => void): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database.db);
    let wikiId: string | undefined;
    if (slug !== undefined) {
      const wiki = await wikiStore(database.db, database.dialect).findBySlug(slug);
      if (!wiki) throw new CliFailure(`there is no wiki "${slug}" (robot wikis lists them)`);
      wikiId = wiki.id;
    }
    const embedder = configuredEmbedder(config.embeddings);
    const index = semanticIndex(chunkStore(database.sql), embedder, nowSeconds);
    const queued = await index.queueAll(wikiId);
    let embedded = 0;
    try {
      for (let done = await index.catchUp(wikiId, ROUND_PAGES); done > 0; done = await index.catchUp(wikiId, ROUND_PAGES)) {
        embedded += done;
        if (embedded < queued) out(`${embedded} of ${queued} pages embedded`);
      }
    } catch (error) {
      if (error instanceof EmbeddingError) throw new CliFailure(`${error.message}; ${embedded} of ${queued} pages were embedded, the rest stay queued`);
      throw error;
    }
    const scope = slug === undefined ? 'all wikis' : `wiki "${slug}"`;
    out(`reindexed ${embedded} of ${queued} pages of ${scope} with ${embedder.modelId}`);
    return 0;
  } finally {
    await database.close();
  }
}
