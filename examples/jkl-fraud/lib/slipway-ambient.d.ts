/**
 * The shape of `defineModel` this project's TypeScript models are written against, for
 * type-checking until the `slipway` package exports it. When `import { defineModel } from
 * 'slipway'` resolves to the real package, delete this file.
 */
declare module 'slipway' {
  export interface ModelContext {
    /** The quoted relation of a listed input. */
    ref(name: string): string;
    /** Run a query on the warehouse (small results only). */
    sql(query: string): Promise<readonly Record<string, unknown>[]>;
  }
  export interface ModelDefinition {
    name: string;
    kind: 'view' | 'table' | 'incremental';
    inputs: string[];
    description?: string;
    tags?: string[];
    owner?: string;
    build: (ctx: ModelContext) => Promise<string> | string;
  }
  export function defineModel<T extends ModelDefinition>(model: T): T;
}
