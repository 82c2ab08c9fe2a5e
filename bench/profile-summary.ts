// Summarises a V8 .cpuprofile (from `BENCH_PROFILE=dir npm run bench` or `npm run bench:mcp`): the
// functions with the most self time and the most inclusive time, and self time per package / source
// file, with file:line.
// Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25] [filter=src/]
// tsx runs our TypeScript as one transpiled line per file, so V8 reports `file.ts:1:column`; the
// original lines come from the source maps in tsx's transform cache (os.tmpdir()/tsx-<uid>).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, filter = 'src/'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top] [inclusive-filter]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest cached transform of each source file that is not newer than the profile. */
function transformCache(notAfter: number): Map<string, SourceMap> {
  const maps = new Map<string, { map: SourceMap; mtime: number }>();
  const directory = path.join(os.tmpdir(), `tsx-${os.userInfo().uid}`);
  let entries: string[] = [];
  try {
    entries = readdirSync(directory);
  } catch {
    return new Map();
  }
  for (const entry of entries) {
    const file = path.join(directory, entry);
    const mtime = statSync(file).mtimeMs;
    if (mtime > notAfter) continue;
    try {
      const { map } = JSON.parse(readFileSync(file, 'utf8')) as { map?: SourceMapPayload };
      const source = map?.sources[0];
      if (!map || !source || (maps.get(source)?.mtime ?? -1) > mtime) continue;
      maps.set(source, { map: new SourceMap(map), mtime });
    } catch {
      // not a transform entry
    }
  }
  return new Map([...maps].map(([source, { map }]) => [source, map]));
}
const sourceMaps = transformCache(statSync(file).mtimeMs);

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const location = (node: ProfileNode) => {
  const { url, lineNumber, columnNumber } = node.callFrame;
  const absolute = url.replace(/^file:\/\//, '');
  const entry = sourceMaps.get(absolute)?.findEntry(lineNumber, columnNumber);
  const line = entry && 'originalLine' in entry ? entry.originalLine : lineNumber;
  const relative = absolute.replace(root, '');
  return relative ? `${relative}:${line + 1}` : '(native)';
};
const label = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'}  ${location(node)}`;
const bucket = (node: ProfileNode) => {
  const path = node.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
  if (!path) return node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  return path.startsWith('node:') ? 'node: internals' : path;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const buckets = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  total += micros;
  const node = byId.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + micros);
  buckets.set(bucket(node), (buckets.get(bucket(node)) ?? 0) + micros);
  // Inclusive time, counted once per stack for recursive frames.
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
    const key = label(byId.get(current)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
  }
});

const print = (title: string, map: Map<string, number>, include: (key: string) => boolean = () => true) => {
  console.log(`\n${title}`);
  for (const [key, micros] of [...map]
    .filter(([key]) => include(key))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('self time by package / file', buckets);
print('self time by function', self);
print(`inclusive time, functions under ${filter}`, inclusive, (key) => key.includes(`  ${filter}`));
