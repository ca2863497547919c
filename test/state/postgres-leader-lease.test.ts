/** The LeaderLease contract on a real PostgreSQL database (each handle its own pool). */
import { afterAll } from 'vitest';
import { openPostgresLeaderLease } from '../../src/state/postgres/postgres-leader-lease.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { describeLeaderLeaseContract } from './leader-lease-contract.js';

const databases: TestDatabase[] = [];

afterAll(async () => {
  for (const db of databases) await db.drop();
});

describeLeaderLeaseContract('PostgresLeaderLease', {
  setup: async () => {
    const db = await freshDatabase('slipway_lease');
    databases.push(db);
    return { connect: () => openPostgresLeaderLease({ url: db.url }) };
  },
});
