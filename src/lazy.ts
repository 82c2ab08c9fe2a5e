// Code that only some requests need is loaded on first use, not at startup, to keep an idle server
// small (docs/benchmarks.md, "Idle memory").

/** `build` runs on the first call and its result is shared; a failed build is tried again next time. */
export function lazily<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
}
