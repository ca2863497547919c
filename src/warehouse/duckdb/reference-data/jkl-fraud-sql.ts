/**
 * SQL building blocks of the JKL data generator: deterministic hash-based draws, weighted picks
 * and the fixed vocabularies (countries, regions, currencies, merchant categories) the generated
 * data is made of. Everything here returns SQL text; nothing touches data.
 */

export const COUNTRIES: readonly (readonly [string, number])[] = [
  ['US', 0.35],
  ['GB', 0.1],
  ['DE', 0.1],
  ['FR', 0.08],
  ['ES', 0.05],
  ['IT', 0.05],
  ['NL', 0.04],
  ['CA', 0.06],
  ['MX', 0.05],
  ['BR', 0.05],
  ['IN', 0.03],
  ['JP', 0.02],
  ['AU', 0.02],
];
export const REGIONS: Readonly<Record<string, string>> = {
  US: 'NA',
  CA: 'NA',
  MX: 'LATAM',
  BR: 'LATAM',
  GB: 'EMEA',
  DE: 'EMEA',
  FR: 'EMEA',
  ES: 'EMEA',
  IT: 'EMEA',
  NL: 'EMEA',
  IN: 'APAC',
  JP: 'APAC',
  AU: 'APAC',
};
export const CURRENCIES: Readonly<Record<string, string>> = {
  US: 'USD',
  CA: 'CAD',
  MX: 'MXN',
  BR: 'BRL',
  GB: 'GBP',
  IN: 'INR',
  JP: 'JPY',
  AU: 'AUD',
};
export const MCC_GROUPS: Readonly<Record<string, string>> = {
  '5411': 'grocery',
  '5812': 'restaurants',
  '5541': 'fuel',
  '5311': 'department_stores',
  '5999': 'retail_misc',
  '4121': 'transport',
  '5732': 'electronics',
  '6011': 'atm_cash',
  '5967': 'direct_marketing',
  '7995': 'gambling',
  '4829': 'money_transfer',
  '4814': 'telecom',
};
export const NORMAL_MCC: readonly (readonly [string, number])[] = [
  ['5411', 0.2],
  ['5812', 0.2],
  ['5541', 0.1],
  ['5311', 0.08],
  ['5999', 0.12],
  ['4121', 0.08],
  ['5732', 0.06],
  ['6011', 0.06],
  ['5967', 0.03],
  ['7995', 0.02],
  ['4829', 0.02],
  ['4814', 0.03],
];
export const RISKY_MCC: readonly (readonly [string, number])[] = [
  ['5967', 0.35],
  ['7995', 0.25],
  ['4829', 0.2],
  ['5732', 0.2],
];
export const ECOM_ONLY_MCC = ['5967', '7995', '4829', '4814'];

/** A 63-bit FNV-1a hash of a salt, so the SQL carries a number rather than a string hash. */
function saltConstant(salt: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(salt)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return (h >> 1n).toString();
}

/** Builds the SQL of the deterministic draws, all bound to one seed. */
export class Draws {
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
  }

  /**
   * A uniform draw in [0, 1) keyed by the given integer SQL expressions and a salt. DuckDB's
   * multi-argument `hash()` combines its arguments almost linearly, so draws that differ only in
   * the salt would correlate; the salt is therefore folded in as a 64-bit constant and the result
   * re-hashed, which runs it through the full single-value mixer.
   */
  u(salt: string, ...keys: readonly string[]): string {
    const args = keys.map((k) => `(${k})::BIGINT`).join(', ');
    const mixed = `hash(xor(hash(${this.#seed}::BIGINT, ${args}), ${saltConstant(salt)}::UBIGINT))`;
    return `((${mixed} >> 11)::DOUBLE / 9007199254740992.0)`;
  }

  /** A weighted choice among string values by a uniform draw. */
  pick(draw: string, choices: readonly (readonly [string, number])[]): string {
    let cumulative = 0;
    const arms = choices.slice(0, -1).map(([value, weight]) => {
      cumulative += weight;
      return `when ${draw} < ${cumulative.toFixed(6)} then '${value}'`;
    });
    const last = choices[choices.length - 1];
    if (last === undefined) throw new Error('pick needs at least one choice');
    return `(case ${arms.join(' ')} else '${last[0]}' end)`;
  }
}

/** A CASE that maps the string values of `expr` through `mapping`. */
export function mapCase(expr: string, mapping: Readonly<Record<string, string>>, fallback: string): string {
  const arms = Object.entries(mapping).map(([k, v]) => `when '${k}' then '${v}'`);
  return `(case ${expr} ${arms.join(' ')} else '${fallback}' end)`;
}
