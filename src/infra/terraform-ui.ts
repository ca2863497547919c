/**
 * Terraform's machine-readable UI (`terraform plan -json`, `terraform apply -json`): one JSON
 * object per line with `@level`, `@message` and a `type`. The ones read here, as documented in
 * Terraform's "Machine-Readable UI" reference: `planned_change` (a resource's planned action),
 * `change_summary` (the plan or apply totals), `apply_complete` (a resource applied) and
 * `diagnostic` (an error or warning, with the file range when it has one). Lines that are not
 * JSON (a provider's stray output) are kept as text for the failure message.
 */

export interface TerraformUiReport {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  readonly applied: string[];
  /** The last `change_summary` message (`Plan: 1 to add, …` / `Apply complete! …`). */
  readonly summary: string | undefined;
  readonly errors: string[];
  readonly warnings: string[];
  readonly other: string[];
}

interface UiResource {
  readonly addr?: string;
}

interface UiLine {
  readonly '@level'?: string;
  readonly '@message'?: string;
  readonly type?: string;
  readonly change?: { readonly resource?: UiResource; readonly action?: string };
  readonly hook?: { readonly resource?: UiResource; readonly action?: string };
  readonly diagnostic?: {
    readonly severity?: string;
    readonly summary?: string;
    readonly detail?: string;
    readonly range?: { readonly filename?: string; readonly start?: { line?: number; column?: number } };
  };
}

const ADDS = new Set(['create']);
const CHANGES = new Set(['update', 'replace', 'move', 'import']);
const REMOVES = new Set(['delete', 'remove', 'forget']);

export function parseTerraformUi(output: string): TerraformUiReport {
  const report: TerraformUiReport = {
    added: [],
    changed: [],
    removed: [],
    applied: [],
    summary: undefined,
    errors: [],
    warnings: [],
    other: [],
  };
  let summary: string | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    let ui: UiLine;
    try {
      ui = JSON.parse(line) as UiLine;
    } catch {
      report.other.push(line);
      continue;
    }
    switch (ui.type) {
      case 'planned_change': {
        const addr = ui.change?.resource?.addr;
        const action = ui.change?.action ?? '';
        if (!addr) break;
        if (ADDS.has(action)) report.added.push(addr);
        else if (CHANGES.has(action)) report.changed.push(addr);
        else if (REMOVES.has(action)) report.removed.push(addr);
        break;
      }
      case 'apply_complete': {
        const addr = ui.hook?.resource?.addr;
        if (addr) report.applied.push(addr);
        break;
      }
      case 'change_summary':
        summary = ui['@message'];
        break;
      case 'diagnostic': {
        const d = ui.diagnostic;
        const at = d?.range?.filename
          ? `${d.range.filename}:${d.range.start?.line ?? 1}:${d.range.start?.column ?? 1}: `
          : '';
        const text = `${at}${d?.summary ?? ui['@message'] ?? 'error'}${d?.detail ? ` (${d.detail})` : ''}`;
        if ((d?.severity ?? ui['@level']) === 'warning') report.warnings.push(text);
        else report.errors.push(text);
        break;
      }
      default:
        break;
    }
  }
  for (const list of [report.added, report.changed, report.removed, report.applied]) list.sort();
  return { ...report, summary };
}
