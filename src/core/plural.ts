/**
 * A count with its noun: `1 view`, `2 views`, `1,024 rows`.
 *
 * @example
 * plural(1, 'view'); // '1 view'
 * plural(3, 'blocking problem'); // '3 blocking problems'
 */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
