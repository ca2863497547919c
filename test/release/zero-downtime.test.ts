/**
 * Zero downtime: four readers query two related views of prod while it is switched ten times
 * (five promotions, five rollbacks); no read fails and none mixes versions. On DuckDB and on
 * PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import { applyRelease } from '../../src/release/apply-release.js';
import type { ReleaseServices } from '../../src/release/execute-release.js';
import { promoteRelease, rollbackRelease } from '../../src/release/promote-release.js';
import {
  type EngineProject,
  engineReleaseProject,
  engineServices,
  RELEASE_ENGINES,
} from '../helpers/release-engines.js';
import { closeServices, loadAt, writeVersion } from '../helpers/release-project.js';

describe.each(RELEASE_ENGINES)('on %s', (engine) => {
  let project: EngineProject;
  let services: ReleaseServices;

  beforeAll(async () => {
    project = await engineReleaseProject(engine, 1);
    services = await engineServices(project, { poolSize: 6 });
  });
  afterAll(async () => {
    await closeServices(services);
    await project?.remove();
  });

  async function applyVersion(version: number): Promise<void> {
    await writeVersion(project, version);
    const loaded = await loadAt(project.root);
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
      await promoteRelease(services, {
        from: 'staging',
        to: 'prod',
        strategy: 'blue-green',
        actor: 'tester',
      });

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
      // Every switch succeeded; the five promotions a rollback replaced read as rolled back.
      expect(history.filter((r) => r.status === 'succeeded')).toHaveLength(6);
      expect(history.filter((r) => r.status === 'rolled_back').map((r) => r.kind)).toEqual(
        Array(5).fill('promote'),
      );
    });
  });
});
