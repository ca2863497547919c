/**
 * Whether a failed sync may succeed when tried again unchanged, and when to try. A commit whose
 * SQL is wrong fails the same way every time (no retry: the next commit fixes it); a sync that
 * failed because input data has not arrived yet, or the warehouse or git could not be reached,
 * can pass later, so the operator retries it with exponential backoff meanwhile.
 */

const TRANSIENT: readonly RegExp[] = [
  // Input data missing (DuckDB reading files, a source table not loaded yet).
  /No files found that match the pattern/i,
  /\bENOENT\b|no such file or directory/i,
  /relation "[^"]+" does not exist/i,
  // The warehouse or git unreachable.
  /\bECONNREFUSED\b|\bECONNRESET\b|\bETIMEDOUT\b|\bEHOSTUNREACH\b|\bENOTFOUND\b|\bEAI_AGAIN\b/,
  /Connection terminated|connection refused|timeout expired|the database system is starting up/i,
  /could not read from remote repository|unable to access|Could not resolve host/i,
];

/** The failure's message names a cause that may go away by itself. */
export function isTransientFailure(message: string): boolean {
  return TRANSIENT.some((pattern) => pattern.test(message));
}

/**
 * Delay before retry number `attempt` (1-based): `baseMs` doubled each time, at most `maxMs`.
 *
 * @example
 * retryDelayMs(1); // 5_000
 * retryDelayMs(4); // 40_000
 */
export function retryDelayMs(attempt: number, { baseMs = 5_000, maxMs = 300_000 } = {}): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
