/**
 * A planning read: a query whose answer only picks how checks run. When it fails the plan takes
 * its slower path and whatever broke the query is reported by the checks themselves, so the
 * failure is an answer (`undefined`), not an error.
 */

import { renderSql, type SqlFragment } from '../warehouse/sql-fragment.js';
import type { Row, Warehouse } from '../warehouse/warehouse.js';

/** The rows of a planning query; undefined when it fails. */
export async function planningQuery(
  warehouse: Warehouse,
  statement: SqlFragment,
): Promise<readonly Row[] | undefined> {
  const { text, params } = renderSql(statement);
  try {
    return (await warehouse.query(text, { params })).rows;
  } catch {
    return undefined;
  }
}
