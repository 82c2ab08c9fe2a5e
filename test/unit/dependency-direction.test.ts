// The dependency direction of src/ (docs/architecture.md, "Layers"): every import points down a
// layer, or sideways only along an edge listed in MAY_USE, and no two folders import each other,
// even through others. A new folder must be given a layer here before it can import anything.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Bottom to top. A unit is a folder of src/, or a file directly in src/. */
const LAYERS: { layer: string; units: string[] }[] = [
  { layer: 'utilities', units: ['cache.ts', 'lazy.ts', 'front-matter.ts'] },
  { layer: 'foundation', units: ['errors', 'net', 'keys', 'embeddings', 'log.ts', 'metrics.ts', 'secrets.ts'] },
  { layer: 'configuration', units: ['config'] },
  { layer: 'storage', units: ['store'] },
  { layer: 'http', units: ['http'] },
  { layer: 'features', units: ['session', 'wiki', 'atproto', 'rpc', 'mcp', 'authserver', 'dashboard', 'api', 'admin', 'account'] },
  { layer: 'assembly', units: ['web', 'main.ts', 'cli'] },
];

/** The only sideways imports (within one layer) allowed; together they must not form a cycle. */
const MAY_USE: Record<string, string[]> = {
  wiki: ['session'],
  atproto: ['session'],
  rpc: ['atproto', 'session'],
  mcp: ['wiki'],
  authserver: ['wiki', 'mcp', 'session'],
  dashboard: ['wiki', 'session', 'atproto', 'authserver'],
  api: ['wiki', 'session', 'atproto'],
  admin: ['session', 'dashboard'],
  account: ['session', 'dashboard', 'atproto', 'authserver', 'wiki'],
  'main.ts': ['web'],
  cli: ['main.ts'],
};

const layerOf = new Map(LAYERS.flatMap(({ units }, rank) => units.map((unit) => [unit, rank] as const)));
const unitOf = (file: string) => file.split('/')[0]!;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [path.relative(SRC, full)] : [];
  });
}

/** Every relative import, re-export and dynamic import() of src/, type-only ones included. */
function imports(): { from: string; to: string }[] {
  return sourceFiles(SRC).flatMap((from) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(SRC, from), 'utf8'), true, true);
    return importedFiles
      .filter(({ fileName }) => fileName.startsWith('.'))
      .map(({ fileName }) => ({ from, to: path.normalize(path.join(path.dirname(from), fileName)) }));
  });
}

/** Why an import between two units breaks the direction, or undefined when it does not. */
function violation(from: string, to: string): string | undefined {
  const source = unitOf(from);
  const target = unitOf(to);
  if (source === target) return undefined;
  const [s, t] = [layerOf.get(source), layerOf.get(target)];
  if (s === undefined) return `${source} has no layer in this test`;
  if (t === undefined) return `${target} has no layer in this test`;
  if (t < s) return undefined;
  if (t > s) return `upward: ${LAYERS[s]!.layer} imports ${LAYERS[t]!.layer}`;
  return MAY_USE[source]?.includes(target) ? undefined : `sideways within ${LAYERS[s]!.layer}, not listed in MAY_USE`;
}

/** The cycles among units, each as a path that returns to its start. */
function cycles(edges: [string, string][]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const [a, b] of edges) if (a !== b) next.set(a, (next.get(a) ?? new Set()).add(b));
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (unit: string, trail: string[]) => {
    state.set(unit, 'open');
    for (const target of next.get(unit) ?? []) {
      if (state.get(target) === 'open') found.push([...trail.slice(trail.indexOf(target)), target]);
      else if (!state.has(target)) visit(target, [...trail, target]);
    }
    state.set(unit, 'done');
  };
  for (const unit of [...next.keys()].sort()) if (!state.has(unit)) visit(unit, [unit]);
  return found;
}

test('every import in src/ points down a layer or along an allowed sideways edge', () => {
  const offending = imports().flatMap(({ from, to }) => {
    const why = violation(from, to);
    return why ? [`src/${from} → src/${to} (${why})`] : [];
  });
  assert.deepEqual(offending, [], `imports against the dependency direction:\n  ${offending.join('\n  ')}`);
});

test('no cycle between folders of src/', () => {
  const edges = imports().map(({ from, to }): [string, string] => [unitOf(from), unitOf(to)]);
  const found = cycles(edges).map((cycle) => cycle.join(' → '));
  assert.deepEqual(found, [], `folders that import each other:\n  ${found.join('\n  ')}`);
});

test('the allowed sideways edges themselves form no cycle, and name only known folders', () => {
  const edges = Object.entries(MAY_USE).flatMap(([from, targets]) => targets.map((to): [string, string] => [from, to]));
  for (const [from, to] of edges) {
    assert.ok(layerOf.has(from) && layerOf.has(to), `MAY_USE names an unknown unit: ${from} → ${to}`);
    assert.equal(layerOf.get(from), layerOf.get(to), `MAY_USE is for sideways edges only: ${from} → ${to}`);
  }
  assert.deepEqual(cycles(edges), []);
});
