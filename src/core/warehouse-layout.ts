/**
 * The schemas Slipway owns in every warehouse, whatever the engine: physical tables (one per
 * model version) in `slipway_physical`, file sources as views in `slipway_sources`, and the
 * bookkeeping a switch writes (its marker, an engine's pointers) in `slipway_meta`. Shared by the
 * release layer (`release/physical-layout.ts`) and the warehouse adapters, which both need them
 * and may not import each other's modules for it.
 */

export const PHYSICAL_SCHEMA = 'slipway_physical';
export const SOURCES_SCHEMA = 'slipway_sources';
export const META_SCHEMA = 'slipway_meta';
