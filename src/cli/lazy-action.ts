/**
 * Commands load only what they use: a command's definition (its options and help) imports
 * commander and types, and its action module — with the warehouse, state store, parser and
 * whatever else the work needs — is imported when the command runs. `--version`, `--help` and
 * `validate` then start without DuckDB's native module, pino, OpenTelemetry or the HTTP server.
 */
import type { Command } from 'commander';

type Action = (this: Command, ...args: never[]) => Promise<void> | void;

/**
 * @example
 * program.command('plan').action(lazyAction(() => import('./plan-action.js'), 'planAction'));
 */
export function lazyAction<M extends Readonly<Record<K, Action>>, K extends keyof M & string>(
  load: () => Promise<M>,
  name: K,
): (this: Command, ...args: unknown[]) => Promise<void> {
  return async function runLazyAction(this: Command, ...args: unknown[]): Promise<void> {
    const action = (await load())[name] as unknown as (this: Command, ...args: unknown[]) => Promise<void>;
    await action.apply(this, args);
  };
}
