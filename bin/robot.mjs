#!/usr/bin/env -S node --experimental-async-context-frame
// The `robot` command. Source is TypeScript run through tsx, so a clean clone needs no build step.
// The flag: hono/jsx renders every page inside an AsyncLocalStorage, and on Node 22 that switches on
// promise hooks for every promise of the process from the first page on (≈ 15 % of a code flow's CPU,
// docs/benchmarks.md). With it, AsyncLocalStorage rides on V8's context frames instead (the default
// from Node 24).
import '../scripts/check-node.mjs';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', {
  parentURL: import.meta.url,
  // From any working directory: the JSX settings live in our tsconfig.
  tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
});
process.exitCode = await main(process.argv.slice(2));
