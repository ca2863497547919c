/**
 * The hint for a read that names a relation the environment does not have, the same on every
 * engine: the nearest name in that environment (`did you mean fraud_alerts?`) and the other
 * environments that hold the name (`prod has fraud_alert`: it is in prod, not built in dev yet).
 */
import { closestMatch } from '../core/did-you-mean.js';

export interface MissingRelation {
  /** The environment (schema) the name was looked up in. */
  readonly schema: string;
  readonly name: string;
  /** The relations that environment has. */
  readonly relations: readonly string[];
  /** The other environments that hold a relation of that name. */
  readonly elsewhere: readonly string[];
}

export function missingRelationHint(missing: MissingRelation): string | undefined {
  const near = closestMatch(missing.name, missing.relations);
  const { elsewhere, name } = missing;
  const parts = [
    ...(near ? [`did you mean ${near}?`] : []),
    ...(elsewhere.length > 0
      ? [`${elsewhere.join(', ')} ${elsewhere.length === 1 ? 'has' : 'have'} ${name}`]
      : []),
  ];
  return parts.length > 0 ? parts.join('; ') : undefined;
}
