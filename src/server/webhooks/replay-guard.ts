/**
 * Remembers recent webhook deliveries so a replayed one is refused. Providers sign the body but
 * not the delivery id header, so both the id and the signature are remembered: replaying a
 * captured body under a fresh id is caught by its signature. Bounded in entries and age; after
 * a restart the memory is empty, which is harmless because a push notification only asks for a
 * fetch, and a fetch of an unchanged branch does nothing.
 */

export interface ReplayGuardOptions {
  /** Default 10 000. */
  readonly maxEntries?: number;
  /** Default 24 h (GitHub and Bitbucket retry for far less). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor({ maxEntries = 10_000, ttlMs = 86_400_000, now = Date.now }: ReplayGuardOptions = {}) {
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /**
   * Records the delivery; false when any of its keys was seen within the window (a replay).
   * Call only after the signature is verified, so forged requests cannot fill the memory.
   */
  admit(keys: readonly string[]): boolean {
    const now = this.#now();
    this.#evict(now);
    if (keys.some((k) => this.#seen.has(k))) return false;
    for (const key of keys) this.#seen.set(key, now);
    while (this.#seen.size > this.#maxEntries) {
      const oldest = this.#seen.keys().next().value;
      if (oldest === undefined) break;
      this.#seen.delete(oldest);
    }
    return true;
  }

  #evict(now: number): void {
    // Map keeps insertion order, which is time order: stop at the first live entry.
    for (const [key, at] of this.#seen) {
      if (now - at < this.#ttlMs) break;
      this.#seen.delete(key);
    }
  }
}
