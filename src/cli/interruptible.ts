/**
 * Ctrl-C for a command's long work: the first SIGINT aborts the signal `body` is given, so the
 * work can stop and settle what it started; a second one, or a kill, is left to Node and to
 * crash recovery. The handler is removed when `body` settles.
 */

/**
 * @example
 * await interruptible((signal) => applyRelease(session, { ...request, signal }));
 */
export async function interruptible<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    return await body(abort.signal);
  } finally {
    process.off('SIGINT', onSignal);
  }
}
