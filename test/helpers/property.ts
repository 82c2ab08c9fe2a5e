// Seeded fast-check runs. One seed per test process, printed by every property, so a failure found
// once replays with FUZZ_SEED=<seed> (the same properties in the same order meet the same inputs).
// FUZZ_RUNS and FUZZ_SECONDS stretch the bounded runs `npm test` makes.
import type { TestContext } from 'node:test';
import fc, { type Parameters } from 'fast-check';

const RUN_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

export function seeded<T>(t: TestContext, defaults: { runs: number; seconds?: number }): Parameters<T> {
  t.diagnostic(`fast-check seed ${RUN_SEED} (rerun with FUZZ_SEED=${RUN_SEED})`);
  const seconds = Number(process.env.FUZZ_SECONDS ?? defaults.seconds ?? 0);
  return {
    seed: RUN_SEED,
    numRuns: Number(process.env.FUZZ_RUNS ?? defaults.runs),
    // A bounded run stops early rather than overrun its time budget; a counterexample found is still a failure.
    ...(seconds > 0 ? { interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false } : {}),
  };
}

/**
 * Values an open-redirect probe would try as a return address: dot segments (plain and encoded),
 * separators a browser or URL parser may turn into `/`, whitespace parsers drop, and a host after them.
 */
export const redirectTricks = (hosts: string[]) =>
  fc
    .tuple(
      fc.constantFrom('/', '/', '/', '\\', '', ' ', '\t', 'https:', 'http:'),
      fc.array(fc.tuple(fc.constantFrom('.', '..', '%2e', '%2E%2e', 'a', '', '', '@'), fc.constantFrom('/', '\\', '\t/', '/\n', '%2f', '%5c')), {
        maxLength: 4,
      }),
      fc.constantFrom(...hosts),
      fc.constantFrom('', '/x?y=1', ':8443/', '#f'),
    )
    .map(([start, segments, host, rest]) => start + segments.map(([segment, separator]) => segment + separator).join('') + host + rest);
