/** The operator store contract on a real PostgreSQL database, beside the PostgreSQL lease in it. */
import { afterAll } from 'vitest';
import { openPostgresLeaderLease } from '../../src/state/postgres/postgres-leader-lease.js';
import { openPostgresOperatorStore } from '../../src/state/postgres/postgres-operator-store.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { operatorStoreContract } from './operator-store-contract.js';

const databases: TestDatabase[] = [];

afterAll(async () => {
  for (const db of databases) await db.drop();
});

operatorStoreContract('PostgresOperatorStore', {
  setup: async (now) => {
    const db = await freshDatabase('slipway_operator');
    databases.push(db);
    const lease = await openPostgresLeaderLease({ url: db.url, now });
    return { lease, store: await openPostgresOperatorStore({ url: db.url }) };
  },
});
