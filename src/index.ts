/**
 * Slipway's public API for project code (TypeScript models) and for programs that drive Slipway.
 */
export { defineModel, type TypeScriptModelDefinition } from './project/define-model.js';
export type { Materialization, TypeScriptModelContext } from './project/project.js';
