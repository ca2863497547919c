/** Builds check declarations for tests without a project on disk. */
import type { CheckDeclaration } from '../../src/project/project.js';
import type { CheckKind } from '../../src/project/schemas.js';

let line = 0;

export function check(
  kind: CheckKind,
  target: string,
  column: string | undefined,
  params: Record<string, unknown> = {},
): CheckDeclaration {
  line += 1;
  const name = typeof params['name'] === 'string' ? params['name'] : `${kind}${line}`;
  return {
    id: `${target}.${column ?? '*'}.${name}`,
    kind,
    target,
    column,
    severity: params['severity'] === 'warn' ? 'warn' : 'error',
    params,
    position: { file: 'sources/t.yml', line, column: 9 },
  };
}
