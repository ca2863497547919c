/**
 * `defineModel()` for TypeScript models. It only gives the model its type: the loader validates
 * what it returns, and the builder calls `build` to get the model's SELECT.
 */
import type { Materialization, TypeScriptModelContext } from './project.js';

export interface TypeScriptModelDefinition {
  readonly name: string;
  readonly kind: Materialization;
  /** The models and sources `build` reads through `ref()`: TypeScript cannot be parsed for them. */
  readonly inputs: readonly string[];
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly owner?: string;
  readonly time_column?: string;
  readonly unique_key?: string | readonly string[];
  readonly columns?: Readonly<
    Record<string, string | { description?: string; type?: string; checks?: readonly unknown[] }>
  >;
  readonly checks?: readonly unknown[];
  /** Returns the SELECT that produces the model. Data never flows through Node. */
  build(context: TypeScriptModelContext): Promise<string> | string;
}

/**
 * @example
 * export default defineModel({
 *   name: 'customer_risk_scores', kind: 'table', inputs: ['dim_customers'],
 *   build: ({ ref }) => `select customer_id from ${ref('dim_customers')}`,
 * });
 */
export function defineModel<const T extends TypeScriptModelDefinition>(definition: T): T {
  return definition;
}
