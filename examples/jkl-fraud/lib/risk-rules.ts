/**
 * A rule set for risk scoring compiled to SQL. Each rule compares one column with a value and adds
 * its weight when it holds; the score is the sum, clamped to [0, max]. The same rules also compile
 * to a comma-separated list of the names of the rules that fired. Rules are validated before any
 * SQL is produced, and a NULL column never fires a rule.
 *
 * @example
 * compileRiskScore([{ name: 'many_disputes', column: 'chargeback_count', op: '>=', value: 3, weight: 40 }])
 * // least(100, greatest(0, (case when "chargeback_count" >= 3 then 40 else 0 end)))
 */
import { quoteIdentifier, quoteString, type SqlScalar, sqlLiteral, sqlNumber } from './sql-literals.js';

export type RiskOperator = '=' | '<>' | '<' | '<=' | '>' | '>=' | 'in';

export interface RiskRule {
  /** Reason name reported when the rule fires (a plain identifier). */
  readonly name: string;
  readonly column: string;
  readonly op: RiskOperator;
  readonly value: SqlScalar | readonly SqlScalar[];
  /** Points added when the rule fires; may be negative for mitigating rules. */
  readonly weight: number;
}

export interface RiskScoreOptions {
  /** Upper bound of the score (default 100). */
  readonly max?: number;
}

const OPERATORS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=', 'in']);

/** Check a rule set; throws a TypeError naming the first bad rule. */
export function validateRiskRules(rules: readonly RiskRule[]): void {
  if (rules.length === 0) throw new TypeError('a risk rule set needs at least one rule');
  const names = new Set<string>();
  for (const [index, rule] of rules.entries()) {
    const where = `rule ${index + 1} (${JSON.stringify(rule.name)})`;
    quoteIdentifier(rule.name);
    quoteIdentifier(rule.column);
    if (names.has(rule.name)) throw new TypeError(`${where}: duplicate rule name`);
    names.add(rule.name);
    if (!OPERATORS.has(rule.op)) throw new TypeError(`${where}: unknown operator ${JSON.stringify(rule.op)}`);
    if (!Number.isFinite(rule.weight)) throw new TypeError(`${where}: weight must be a finite number`);
    const values = Array.isArray(rule.value) ? rule.value : [rule.value];
    if (rule.op === 'in' ? values.length === 0 : Array.isArray(rule.value)) {
      throw new TypeError(`${where}: 'in' takes a non-empty list, other operators one value`);
    }
    for (const v of values) sqlLiteral(v);
  }
}

/** The SQL condition of one rule (true, false or NULL). */
export function compileRuleCondition(rule: RiskRule): string {
  const column = quoteIdentifier(rule.column);
  if (rule.op === 'in') {
    const values = (Array.isArray(rule.value) ? rule.value : [rule.value]) as readonly SqlScalar[];
    return `${column} in (${values.map(sqlLiteral).join(', ')})`;
  }
  return `${column} ${rule.op} ${sqlLiteral(rule.value as SqlScalar)}`;
}

/** Compile the rules to a score expression clamped to [0, max]. */
export function compileRiskScore(rules: readonly RiskRule[], options: RiskScoreOptions = {}): string {
  const { max = 100 } = options;
  validateRiskRules(rules);
  const terms = rules.map(
    (rule) => `(case when ${compileRuleCondition(rule)} then ${sqlNumber(rule.weight)} else 0 end)`,
  );
  return `least(${sqlNumber(max)}, greatest(0, ${terms.join(' + ')}))`;
}

/** Compile the rules to the comma-separated names of the rules that fired ('' when none). */
export function compileRiskReasons(rules: readonly RiskRule[]): string {
  validateRiskRules(rules);
  const arms = rules.map(
    (rule) => `case when ${compileRuleCondition(rule)} then ${quoteString(rule.name)} end`,
  );
  return `concat_ws(',', ${arms.join(', ')})`;
}
