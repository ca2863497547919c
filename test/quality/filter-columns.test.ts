/** Which one column a `where` reads, by DuckDB's own parser: only plain, deterministic filters. */
import { afterAll, describe, expect, it } from 'vitest';
import { singleColumnFilters } from '../../src/quality/filter-columns.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';

const warehouse = createDuckDbWarehouse({ path: ':memory:', threads: 1 });
afterAll(async () => {
  await warehouse.close();
});

describe('singleColumnFilters', () => {
  it('names the one column of plain deterministic filters, whatever their case', async () => {
    const found = await singleColumnFilters(warehouse, [
      "STATUS = 'approved'",
      "lower(status) like 'a%' or status is null",
      "status between 'a' and 'b'",
      'now() > status::timestamp',
    ]);
    expect([...found.values()]).toEqual(['status', 'status', 'status', 'status']);
  });

  it('leaves out filters on several or no columns, volatile ones, subqueries and broken SQL', async () => {
    const found = await singleColumnFilters(warehouse, [
      "status = 'a' and id > 1",
      "random() < 0.5 and status = 'a'",
      "t.status = 'a'",
      'status in (select 1)',
      'x = 1) GROUP BY (y',
      'list_filter([1], x -> x > 1) = []',
      'true',
      'bogus syntax ((',
    ]);
    expect(found.size).toBe(0);
  });
});
