// Loading the platform allocates a lot of short-lived memory (module sources, compiled code, parsed
// schemas), so V8 grows its young generation to the maximum (2 × 16 MiB semi-spaces) during startup
// and then keeps it: with no traffic, nothing prompts it to shrink, and its memory reducer does not.
// That is ≈ 30 MB of an idle server's ≈ 130 MB (docs/benchmarks.md, "Idle memory"). One full
// collection of the kind V8 runs under memory pressure, once the server listens, hands it back to
// the operating system; under load the young generation grows again as V8 sees fit.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export function releaseStartupMemory(): void {
  // V8's gc() extension, for a fresh context only: this process's own global gets no `gc`.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as Gc;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
