#!/usr/bin/env node
// The `robot` command. Source is TypeScript run through tsx, so a clean clone needs no build step.
import '../scripts/check-node.mjs';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', {
  parentURL: import.meta.url,
  // From any working directory: the JSX settings live in our tsconfig.
  tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
});
process.exitCode = await main(process.argv.slice(2));
