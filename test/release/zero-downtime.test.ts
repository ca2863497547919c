/**
 * Zero downtime: four readers query two related prod views in a loop — each read takes the sum
 * of one view and the total of the other, which must agree — while ten releases and rollbacks
 * switch prod. No read may fail and none may see one view on one version and the other on
 * another. A DuckDB file has one writing process, so readers and releases share one warehouse
 * instance here, as they would inside the operator.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import { loadProject } from '../../src/project/load-project.js';
import { applyRelease } from '../../src/release/apply-release.js';
import type { ReleaseServices } from '../../src/release/execute-release.js';
import { promoteRelease, rollbackRelease } from '../../src/release/promote-release.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTelemetry } from '../../src/telemetry/tracer.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { releaseProject, writeVersion } from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';

let project: TempProject;
let services: ReleaseServices;

beforeAll(async () => {
  project = await releaseProject(1);
  services = {
    state: openSqliteStateStore({ path: path.join(project.root, '.slipway', 'state.db') }),
    warehouse: createDuckDbWarehouse({
      path: path.join(project.root, '.slipway', 'warehouse.duckdb'),
      threads: 1,
      poolSize: 6,
    }),
    telemetry: createTelemetry(),
    logger: createLogger({ level: 'silent' }),
  };
});
afterAll(async () => {
  await services.warehouse.close();
  await services.state.close();
  await project?.remove();
});

async function applyVersion(version: number): Promise<void> {
  await writeVersion(project, version);
  const parser = await createDuckDbSqlParser();
  const loaded = await loadProject(project.root, { parser }).finally(() => parser.close());
  await applyRelease(services, {
    project: loaded,
    fingerprints: fingerprintProject(loaded),
    environment: 'staging',
    strategy: 'blue-green',
    commit: undefined,
    actor: 'tester',
    concurrency: 1,
  });
}

describe('zero downtime', () => {
  it('four readers see no failed and no mixed-version read across ten releases and rollbacks', async () => {
    await applyVersion(1);
    await promoteRelease(services, { from: 'staging', to: 'prod', strategy: 'blue-green', actor: 'tester' });

    let running = true;
    let reads = 0;
    const failures: string[] = [];
    const mixed: string[] = [];
    const seen = new Set<number>();
    const reader = async (): Promise<void> => {
      while (running) {
        try {
          const { rows } = await services.warehouse.query(
            `select (select sum(total) from prod.customer_totals) as detail,
                    (select total from prod.grand_total) as total,
                    (select max(version) from prod.customer_totals) as v_detail,
                    (select max(version) from prod.grand_total) as v_total`,
          );
          const row = rows[0] ?? {};
          reads += 1;
          seen.add(Number(row['v_total']));
          if (String(row['detail']) !== String(row['total']) || row['v_detail'] !== row['v_total']) {
            mixed.push(JSON.stringify(row));
          }
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const readers = [reader(), reader(), reader(), reader()];

    let switches = 0;
    for (let version = 2; version <= 6; version++) {
      await applyVersion(version);
      await promoteRelease(services, {
        from: 'staging',
        to: 'prod',
        strategy: 'blue-green',
        actor: 'tester',
      });
      switches += 1;
      await rollbackRelease(services, { environment: 'prod', strategy: 'blue-green', actor: 'tester' });
      switches += 1;
    }
    running = false;
    await Promise.all(readers);

    expect(switches).toBe(10);
    expect(failures).toEqual([]);
    expect(mixed).toEqual([]);
    expect(reads).toBeGreaterThan(40);
    expect(seen.size).toBeGreaterThan(1);
    const history = await services.state.listReleases({ environment: 'prod' });
    expect(history.filter((r) => r.status === 'succeeded')).toHaveLength(11);
  });
});
