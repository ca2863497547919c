/**
 * An operator whose project says `state: { type: postgres, url_env: … }`: it reads that from the
 * branch head at start, and keeps its releases, its operator store and its leader lease in the
 * database (nothing in its home but the remembered configuration), approvals and all.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresLeaderLease } from '../../src/state/postgres/postgres-leader-lease.js';
import { openPostgresStateStore } from '../../src/state/postgres/postgres-state-store.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { eventually, GITOPS_CONFIG, type GitOpsFixture, gitopsFixture } from './gitops-fixture.js';

const VARIABLE = 'SLIPWAY_OPERATOR_TEST_STATE_URL';
let db: TestDatabase;
let fixture: GitOpsFixture;

beforeAll(async () => {
  db = await freshDatabase('slipway_operator_state');
  process.env[VARIABLE] = db.url;
  fixture = await gitopsFixture(
    GITOPS_CONFIG.replace(
      'state: { type: sqlite, path: .slipway/state.db }',
      `state: { type: postgres, url_env: ${VARIABLE} }`,
    ),
  );
});

afterAll(async () => {
  await fixture?.remove();
  delete process.env[VARIABLE];
  await db?.drop();
});

it('releases with its state, operator store and lease in PostgreSQL', async () => {
  const runtime = await fixture.start();
  await runtime.leader();
  await eventually('prod released', async () => (await runtime.state.getPointer('prod')) !== undefined);
  await eventually(
    'audit waits for approval',
    async () => (await runtime.backend.getEnvironment('audit')).pendingApproval !== null,
  );

  const state = await openPostgresStateStore({ url: db.url });
  const lease = await openPostgresLeaderLease({ url: db.url });
  try {
    expect((await state.listPointers()).map((p) => p.environment).sort()).toEqual(['prod', 'staging']);
    expect(await lease.current()).toMatchObject({ holder: runtime.operator.holderId, term: 1 });
  } finally {
    await state.close();
    await lease.close();
  }
  const slipwayDir = path.join(fixture.home, '.slipway');
  expect(existsSync(path.join(slipwayDir, 'operator.db'))).toBe(false);
  expect(existsSync(path.join(slipwayDir, 'state.db'))).toBe(false);
  expect(JSON.parse(await readFile(path.join(slipwayDir, 'state-config.json'), 'utf8'))).toEqual({
    state: { type: 'postgres', url_env: VARIABLE },
  });
});
