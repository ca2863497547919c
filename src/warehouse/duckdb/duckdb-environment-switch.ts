/**
 * DuckDB's environment switch. TRANSITIONAL: delegates to the pointer switch in
 * `src/release/switch-environment.ts` until its engine SQL moves here.
 */
import {
  forgetSwitchedRelease,
  physicalRelations,
  prepareSwitchMarker,
  switchEnvironment,
  switchedRelease,
} from '../../release/switch-environment.js';
import type { EnvironmentInspection, EnvironmentSwitch, SwitchRequest, Warehouse } from '../warehouse.js';

export class DuckDbEnvironmentSwitch implements EnvironmentSwitch {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  prepare(): Promise<void> {
    return prepareSwitchMarker(this.#warehouse);
  }

  switch(request: SwitchRequest): Promise<number> {
    return switchEnvironment(this.#warehouse, request);
  }

  switchedRelease(environment: string): Promise<string | undefined> {
    return switchedRelease(this.#warehouse, environment);
  }

  forget(environment: string): Promise<void> {
    return forgetSwitchedRelease(this.#warehouse, environment);
  }

  async inspect(_environment: string, _models: readonly string[]): Promise<EnvironmentInspection> {
    return { physical: await physicalRelations(this.#warehouse), views: new Map() };
  }
}
