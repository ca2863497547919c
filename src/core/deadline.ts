/**
 * Runs `work` with a deadline: its signal aborts after `timeoutMs` (or when `parent` aborts), and
 * the returned promise rejects then even when `work` ignores its signal (an SMTP client, a stuck
 * socket), so a caller is never held past the deadline. The timer does not keep the process up.
 *
 * @example
 * await withDeadline((signal) => fetch(url, { signal }), 5000);
 */
export async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  timer.unref();
  try {
    return await Promise.race([
      work(controller.signal),
      new Promise<never>((_, reject) =>
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
      ),
    ]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParent);
  }
}
