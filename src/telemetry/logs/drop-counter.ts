/** What a bounded sink or queue reports its drops to (a Prometheus counter, or a test's tally). */
export interface DropCounter {
  inc(n?: number): void;
}
