// `npm run bench:wiki`: what the wiki store costs as one wiki grows, and whether a wiki pays for its
// neighbour's size (issue 12, DESIGN.md §6: "wiki operations cost what their own wiki holds, never what
// the platform holds"). In one process, through the page service the MCP tools call (src/wiki/pages.ts
// on src/store/pages.ts), on a real database:
//
// - one wiki grown to 100, 1,000 and 10,000 pages: write (a new page, and a whole-text replace), read,
//   search (a word on every page, and a rare one), list (the first page of the listing) and orphans;
// - a 100-page wiki's search before and after another wiki has grown to 10,000 pages.
//
// After a warm-up on a scratch wiki (deleted before measuring), each operation is timed in RUNS runs
// (default 3) of a fixed count; the median run counts, as CPU
// per operation (this process's, plus on PostgreSQL that of the server processes serving this
// database, read from /proc/<pid>/schedstat: the server must run on this machine) and as wall time
// per operation (which other work on a shared machine inflates; the targets are taken on CPU). Seeding goes through the same service, several writes at a time
// on PostgreSQL, so the whole benchmark takes a few minutes.
//
// Knobs (environment): DATABASE_URL and BENCH_DATABASES choose the database as for bench/authserver.ts
// (bench/harness.ts `benchDatabases`); BENCH_RUNS the runs per measurement (≥ 3 for the docs).
import { readFileSync } from 'node:fs';
import { cpuUsage } from 'node:process';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../src/store/database.ts';
import { frontMatterLabels } from '../src/front-matter.ts';
import { pageStore, type PageChange, type PageStore } from '../src/store/pages.ts';
import { wikiStore, type WikiStore } from '../src/store/wikis.ts';
import { wikiLinks } from '../src/wiki/links.ts';
import { wikiPages, type WikiPages } from '../src/wiki/pages.ts';
import { createTestDatabase } from '../test/helpers/databases.ts';
import { benchDatabases, describeDatabase, type BenchDatabase } from './harness.ts';
import { markdownTable } from './markdown-table.ts';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const SIZES = [100, 1_000, 10_000] as const;
const SMALL_WIKI_PAGES = 100;
const AUTHOR = 'did:plc:benchbenchbenchbenchbenc';
/** Generous limits: the benchmark measures costs, not refusals. */
const LIMITS = { pageBytes: 64 * 1024, wikiBytes: 1024 * 1024 * 1024 };

/** On every page (a common-word search); and on one page in fifty (a rare one). */
const COMMON = 'robot';
const RARE = 'quokka';
const WORDS = 'servo bracket torque gearbox sensor battery firmware encoder chassis wheel motor voltage camera lidar gripper'.split(' ');

/** A page of about 600 bytes: prose, two links, and front matter on every tenth page. */
function pageText(n: number): string {
  const words = Array.from({ length: 80 }, (_, i) => WORDS[(n * 7 + i * 13) % WORDS.length]).join(' ');
  const front = n % 10 === 0 ? `---\ntags: [bench, group-${n % 7}]\n---\n` : '';
  const rare = n % 50 === 0 ? ` ${RARE}` : '';
  return `${front}# Page ${n}\n\nThe ${COMMON} ${words}${rare}.\n\nSee [[Page ${(n * 31) % (n + 1)}]] and [[Page ${n + 1}]].\n`;
}

interface Measured {
  /** Median run's wall milliseconds per operation. */
  wallMs: number;
  /** Median run's CPU microseconds per operation: this process and, on PostgreSQL, the server's. */
  cpuMicros: number;
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU nanoseconds a process has run (Linux schedstat); 0 once it is gone. */
function processCpuNanos(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** CPU microseconds the PostgreSQL server processes of this database have run, by pid. */
async function serverCpu(handle: DatabaseHandle): Promise<Map<number, number>> {
  if (handle.dialect !== 'postgres') return new Map();
  // Client backends only: an autovacuum worker on this database is not the operations' work.
  const backends = await handle.sql.all<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'",
  );
  return new Map(backends.map(({ pid }) => [pid, processCpuNanos(pid) / 1000]));
}

/** `count` calls of `operation(i)`, one after another, RUNS times (`i` keeps counting across runs). */
async function measure(handle: DatabaseHandle, count: number, operation: (i: number) => Promise<unknown>): Promise<Measured> {
  const walls: number[] = [];
  const cpus: number[] = [];
  let i = 0;
  await operation(i++); // warm: the statements are prepared, the code compiled
  for (let run = 0; run < RUNS; run++) {
    const serverBefore = await serverCpu(handle);
    const startCpu = cpuUsage();
    const start = performance.now();
    for (let k = 0; k < count; k++) await operation(i++);
    const elapsed = performance.now() - start;
    const cpu = cpuUsage(startCpu);
    let server = 0;
    for (const [pid, micros] of await serverCpu(handle)) server += micros - (serverBefore.get(pid) ?? 0);
    walls.push(elapsed / count);
    cpus.push((cpu.user + cpu.system + server) / count);
  }
  return { wallMs: median(walls), cpuMicros: median(cpus) };
}

const SEED_BATCH = 500;

/**
 * Creates pages `from`…`to - 1` of a wiki as the page service would (links and labels indexed), but
 * SEED_BATCH to a transaction: the measurements, not the seeding, go through the service one by one.
 */
async function seed(store: PageStore, wikiId: string, from: number, to: number, now: number): Promise<void> {
  for (let start = from; start < to; start += SEED_BATCH) {
    const changes: PageChange[] = [];
    for (let n = start; n < Math.min(to, start + SEED_BATCH); n++) {
      const content = pageText(n);
      const base = { wikiId, author: AUTHOR, message: null, now, wikiLimitBytes: LIMITS.wikiBytes };
      changes.push({ ...base, action: 'create', path: `Page ${n}`, content, links: wikiLinks(content), labels: await frontMatterLabels(content) });
    }
    await store.commitAll(changes);
  }
}

const format = (m: Measured) => `${m.cpuMicros.toFixed(0)} µs (${m.wallMs.toFixed(2)} ms)`;

const OPERATIONS = [
  'write (new page)',
  'write (replace)',
  'read',
  `search "${COMMON}" (every page)`,
  `search "${RARE}" (1 in 50)`,
  'list (first 200)',
  'orphans',
] as const;
type OperationName = (typeof OPERATIONS)[number];

async function measureWiki(handle: DatabaseHandle, pages: WikiPages, wikiId: string, size: number, runId: string): Promise<Map<OperationName, Measured>> {
  const results = new Map<OperationName, Measured>();
  const heavy = size >= 10_000 ? 5 : size >= 1_000 ? 20 : 100;
  const pick = (i: number) => `Page ${(i * 7919) % size}`;
  results.set('write (new page)', await measure(handle, 100, (i) => pages.write(wikiId, AUTHOR, { path: `New/${runId}/${i}`, content: pageText(i) })));
  results.set(
    'write (replace)',
    await measure(handle, 100, async (i) => {
      const path = pick(i);
      const { revision } = await pages.read(wikiId, path);
      return pages.write(wikiId, AUTHOR, { path, content: `${pageText(i)}\nedited ${i}`, baseRevision: revision });
    }),
  );
  results.set('read', await measure(handle, 300, (i) => pages.read(wikiId, pick(i))));
  results.set(`search "${COMMON}" (every page)`, await measure(handle, heavy * 2, () => pages.search(wikiId, COMMON, 10)));
  results.set(`search "${RARE}" (1 in 50)`, await measure(handle, 100, () => pages.search(wikiId, RARE, 10)));
  results.set('list (first 200)', await measure(handle, heavy * 2, () => pages.list(wikiId, { limit: 200 })));
  results.set('orphans', await measure(handle, heavy, () => pages.orphans(wikiId)));
  return results;
}

/** PostgreSQL: the statistics and visibility map a long-running server would have, before measuring (autovacuum would do it mid-measurement). */
async function settle(handle: DatabaseHandle): Promise<void> {
  if (handle.dialect === 'postgres') await sql`vacuum analyze`.execute(handle.db);
}

/**
 * Every operation a few hundred times on a wiki that is deleted afterwards, so that V8 has optimised
 * the code and the statements are prepared before the first measurement (the 100-page figures and
 * the small wiki's search alone would otherwise pay for it).
 */
async function warmUp(handle: DatabaseHandle, pages: WikiPages, store: PageStore, wikis: WikiStore, now: number): Promise<void> {
  const scratch = await wikis.create({ slug: 'warm-up', ownerDid: AUTHOR, displayName: 'Warm-up' }, now);
  await seed(store, scratch.id, 0, SMALL_WIKI_PAGES, now);
  await measureWiki(handle, pages, scratch.id, SMALL_WIKI_PAGES, 'warm-up');
  await measure(handle, 300, () => pages.search(scratch.id, COMMON, 10));
  await wikis.delete(scratch.id);
}

async function benchDatabase(database: BenchDatabase): Promise<void> {
  const testDb = await createTestDatabase(database.name, database.url);
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase(testDb.url);
    await migrateToLatest(handle.db);
    let clock = 1_800_000_000;
    const store = pageStore(handle.db);
    const pages = wikiPages(store, LIMITS, () => clock++);
    const wikis = wikiStore(handle.db, handle.dialect);
    await warmUp(handle, pages, store, wikis, clock);
    const small = await wikis.create({ slug: 'small', ownerDid: AUTHOR, displayName: 'Small' }, clock);
    const big = await wikis.create({ slug: 'big', ownerDid: AUTHOR, displayName: 'Big' }, clock);
    await seed(store, small.id, 0, SMALL_WIKI_PAGES, clock);
    await settle(handle);
    const smallSearch = () => measure(handle!, 300, () => pages.search(small.id, COMMON, 10));
    const smallAlone = await smallSearch();

    const bySize = new Map<number, Map<OperationName, Measured>>();
    let seeded = 0;
    for (const size of SIZES) {
      const started = performance.now();
      await seed(store, big.id, seeded, size, clock);
      seeded = size;
      await settle(handle);
      console.log(`  seeded ${size} pages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      bySize.set(size, await measureWiki(handle, pages, big.id, size, String(size)));
    }
    const smallBeside = await smallSearch();

    console.log(`\n${describeDatabase(database)}; median of ${RUNS} runs; CPU per operation (wall time per operation)\n`);
    console.log(
      markdownTable([
        ['operation', ...SIZES.map((size) => `${size.toLocaleString('en')} pages`), '10,000 ÷ 100 (CPU)'],
        ...OPERATIONS.map((name) => {
          const at = (size: number) => bySize.get(size)!.get(name)!;
          return [name, ...SIZES.map((size) => format(at(size))), `${(at(10_000).cpuMicros / at(100).cpuMicros).toFixed(2)}×`];
        }),
      ]),
    );
    console.log(
      `\n${markdownTable([
        [`a ${SMALL_WIKI_PAGES}-page wiki's search "${COMMON}"`, 'alone', 'beside a 10,000-page wiki', 'beside ÷ alone (CPU)'],
        ['', format(smallAlone), format(smallBeside), `${(smallBeside.cpuMicros / smallAlone.cpuMicros).toFixed(2)}×`],
      ])}`,
    );
    const write = bySize.get(10_000)!.get('write (new page)')!.cpuMicros / bySize.get(100)!.get('write (new page)')!.cpuMicros;
    const neighbour = smallBeside.cpuMicros / smallAlone.cpuMicros;
    console.log(`\ntarget: write_note at 10,000 ÷ at 100 ≤ 1.5×: ${write <= 1.5 ? 'met' : 'MISSED'} (${write.toFixed(2)}×)`);
    console.log(`target: small wiki's search beside ÷ alone ≤ 1.2×: ${neighbour <= 1.2 ? 'met' : 'MISSED'} (${neighbour.toFixed(2)}×)`);
  } finally {
    await handle?.close();
    await testDb.drop();
  }
}

for (const database of benchDatabases()) {
  console.log(`\n${database.name}:`);
  await benchDatabase(database);
}
