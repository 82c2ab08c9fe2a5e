// A bounded in-memory cache whose entries each carry their own expiry: verified tokens (until their
// `exp`), client metadata documents (until their max-age), rate-limit windows (until they reset).
// Bounded so that no stream of distinct keys, however long, can grow a process's memory; when full,
// the entry stored longest ago goes first (a Map iterates in insertion order). Time is the caller's
// (seconds, like every clock here), passed in, so tests with a fake clock drive expiry.
export class ExpiringCache<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('an ExpiringCache holds at least one entry');
  }

  /** The value stored under `key`, unless it has expired by `now` (then it is forgotten). */
  get(key: K, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Stores `value` until `expiresAt` (exclusive), as the newest entry, evicting the oldest when full. */
  set(key: K, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expiresAt });
  }

  get size(): number {
    return this.#entries.size;
  }
}
