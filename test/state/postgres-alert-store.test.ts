/** The alert store contract on a real PostgreSQL database. */
import { afterAll } from 'vitest';
import { openPostgresAlertStore } from '../../src/state/postgres/postgres-alert-store.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { alertStoreContract } from './alert-store-contract.js';

const databases: TestDatabase[] = [];

afterAll(async () => {
  for (const db of databases) await db.drop();
});

alertStoreContract('PostgresAlertStore', {
  setup: async () => {
    const db = await freshDatabase('slipway_alerts');
    databases.push(db);
    return {
      store: await openPostgresAlertStore({ url: db.url }),
      reopen: () => openPostgresAlertStore({ url: db.url }),
    };
  },
});
