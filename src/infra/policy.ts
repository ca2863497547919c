/**
 * The rules a reviewer checks on a Terraform tree, as data: each rule returns the violations it
 * finds, naming the file and the resource. Pure over the parsed tree; `slipway ci` can run it.
 */
import {
  blocks,
  dataSourcesOf,
  type HclBody,
  type ResourceBlock,
  resourcesOf,
  type TerraformTree,
} from './terraform-tree.js';

export interface PolicyViolation {
  readonly rule: string;
  readonly file: string;
  /** Terraform address, e.g. `aws_s3_bucket.lake`, or `variable.x`. */
  readonly resource: string;
  readonly message: string;
}

export interface PolicyRule {
  readonly name: string;
  check(tree: TerraformTree): PolicyViolation[];
}

/**
 * AWS resource types that take no `tags` argument (settings attached to a tagged parent).
 * A type not listed here must carry the tags.
 */
export const UNTAGGABLE_TYPES: ReadonlySet<string> = new Set([
  'aws_s3_bucket_server_side_encryption_configuration',
  'aws_s3_bucket_versioning',
  'aws_s3_bucket_lifecycle_configuration',
  'aws_s3_bucket_public_access_block',
  'aws_sns_topic_subscription',
  'aws_iam_role_policy',
  'aws_cloudwatch_log_subscription_filter',
  'aws_cloudwatch_dashboard',
]);

export const REQUIRED_TAGS = ['environment', 'owner'] as const;

const address = (r: ResourceBlock): string => `${r.type}.${r.name}`;
const violation = (rule: string, r: ResourceBlock, message: string): PolicyViolation => ({
  rule,
  file: r.file,
  resource: address(r),
  message,
});

/** Every bucket has SSE-KMS encryption, versioning, a lifecycle and all four public-access blocks. */
export const bucketsEncryptedAndPrivate: PolicyRule = {
  name: 'bucket-encrypted-and-private',
  check(tree) {
    const resources = resourcesOf(tree);
    const attached = (type: string, bucket: ResourceBlock) =>
      resources.filter((r) => r.type === type && r.body.bucket === `\${aws_s3_bucket.${bucket.name}.id}`);
    const out: PolicyViolation[] = [];
    for (const bucket of resources.filter((r) => r.type === 'aws_s3_bucket')) {
      const sse = attached('aws_s3_bucket_server_side_encryption_configuration', bucket);
      const kms = sse.some((s) =>
        blocks(s.body, 'rule').some((rule) =>
          blocks(rule, 'apply_server_side_encryption_by_default').some((d) => d.sse_algorithm === 'aws:kms'),
        ),
      );
      if (!kms) out.push(violation(this.name, bucket, 'no SSE-KMS encryption configuration'));
      const pab = attached('aws_s3_bucket_public_access_block', bucket);
      const flags = [
        'block_public_acls',
        'block_public_policy',
        'ignore_public_acls',
        'restrict_public_buckets',
      ];
      if (!pab.some((p) => flags.every((f) => p.body[f] === true))) {
        out.push(
          violation(this.name, bucket, `public access not blocked (${flags.join(', ')} must all be true)`),
        );
      }
      const versioned = attached('aws_s3_bucket_versioning', bucket).some((v) =>
        blocks(v.body, 'versioning_configuration').some((c) => c.status === 'Enabled'),
      );
      if (!versioned) out.push(violation(this.name, bucket, 'versioning not enabled'));
      if (attached('aws_s3_bucket_lifecycle_configuration', bucket).length === 0) {
        out.push(violation(this.name, bucket, 'no lifecycle configuration'));
      }
    }
    return out;
  },
};

/** Every taggable resource carries `environment` and `owner`, literally or through a local map. */
export const resourcesTagged: PolicyRule = {
  name: 'resource-tagged',
  check(tree) {
    const locals = new Map<string, unknown>();
    for (const file of tree.files) {
      for (const body of (file.body.locals as HclBody[] | undefined) ?? []) {
        for (const [key, value] of Object.entries(body)) locals.set(key, value);
      }
    }
    const tagKeys = (value: unknown): Set<string> => {
      if (value && typeof value === 'object' && !Array.isArray(value)) return new Set(Object.keys(value));
      if (typeof value === 'string') {
        const keys = new Set<string>();
        for (const m of value.matchAll(/local\.([A-Za-z0-9_]+)/g)) {
          for (const k of tagKeys(locals.get(m[1] ?? ''))) keys.add(k);
        }
        return keys;
      }
      return new Set();
    };
    const out: PolicyViolation[] = [];
    for (const r of resourcesOf(tree)) {
      if (UNTAGGABLE_TYPES.has(r.type)) continue;
      const keys = tagKeys(r.body.tags);
      const missing = REQUIRED_TAGS.filter((k) => !keys.has(k));
      if (missing.length > 0) out.push(violation(this.name, r, `tags lack ${missing.join(' and ')}`));
    }
    return out;
  },
};

/** No IAM action with a wildcard, in policy documents or in JSON policies written inline. */
export const iamWithoutWildcardActions: PolicyRule = {
  name: 'iam-no-wildcard-action',
  check(tree) {
    const out: PolicyViolation[] = [];
    for (const doc of dataSourcesOf(tree).filter((d) => d.type === 'aws_iam_policy_document')) {
      for (const statement of blocks(doc.body, 'statement')) {
        for (const key of ['actions', 'not_actions']) {
          const actions = statement[key];
          for (const action of Array.isArray(actions) ? actions : []) {
            if (typeof action === 'string' && action.includes('*')) {
              out.push({
                rule: this.name,
                file: doc.file,
                resource: `data.${address(doc)}`,
                message: `wildcard action "${action}"`,
              });
            }
          }
        }
      }
    }
    for (const r of resourcesOf(tree)) {
      for (const key of ['policy', 'assume_role_policy', 'inline_policy']) {
        const text = JSON.stringify(r.body[key] ?? '');
        if (/\\?"Action\\?"\s*[:=]\s*(\[[^\]]*)?\\?"[^"\\]*\*/.test(text)) {
          out.push(violation(this.name, r, `wildcard action in ${key}`));
        }
      }
    }
    return out;
  },
};

const SECRET_NAME = /(secret|token|password|passwd|api_?key|private_?key|credential)/i;

/** No default for a secret-named or sensitive variable, and no such value in a `.tfvars` file. */
export const noSecretInDefaults: PolicyRule = {
  name: 'no-secret-default',
  check(tree) {
    const out: PolicyViolation[] = [];
    for (const file of tree.files) {
      const variables = (file.body.variable as Record<string, HclBody[]> | undefined) ?? {};
      for (const [name, bodies] of Object.entries(variables)) {
        for (const body of bodies) {
          const secret = body.sensitive === true || SECRET_NAME.test(name);
          if (secret && body.default !== undefined && body.default !== null && body.default !== '') {
            out.push({
              rule: this.name,
              file: file.path,
              resource: `variable.${name}`,
              message: `secret variable has a default; pass it as TF_VAR_${name}`,
            });
          }
        }
      }
      if (file.path.endsWith('.tfvars')) {
        for (const name of Object.keys(file.body).filter((n) => SECRET_NAME.test(n))) {
          out.push({
            rule: this.name,
            file: file.path,
            resource: `variable.${name}`,
            message: `secret set in a tfvars file; pass it as TF_VAR_${name}`,
          });
        }
      }
    }
    return out;
  },
};

/** Every required provider is pinned to one exact version. */
export const providersPinned: PolicyRule = {
  name: 'provider-pinned',
  check(tree) {
    const out: PolicyViolation[] = [];
    for (const file of tree.files) {
      for (const terraform of (file.body.terraform as HclBody[] | undefined) ?? []) {
        for (const providers of blocks(terraform, 'required_providers')) {
          for (const [name, spec] of Object.entries(providers)) {
            const version = typeof spec === 'object' && spec ? (spec as HclBody).version : undefined;
            if (typeof version !== 'string' || !/^=?\s*\d+\.\d+\.\d+$/.test(version.trim())) {
              out.push({
                rule: this.name,
                file: file.path,
                resource: `provider.${name}`,
                message: `version ${JSON.stringify(version ?? null)} is not one exact version`,
              });
            }
          }
        }
      }
    }
    return out;
  },
};

/**
 * The environments under `envs/` are the same text but for their variable values: every file
 * but `terraform.tfvars` (values of declared variables) and `backend.hcl` (where state lives)
 * is byte-identical across environments, and every tfvars key is a declared variable.
 */
export const environmentsDifferOnlyInVariables: PolicyRule = {
  name: 'environments-differ-only-in-variables',
  check(tree) {
    const out: PolicyViolation[] = [];
    const envs = new Map<string, Map<string, string>>();
    for (const file of tree.files) {
      const m = /^envs\/([^/]+)\/(.+)$/.exec(file.path);
      if (!m?.[1] || !m[2]) continue;
      const files = envs.get(m[1]) ?? new Map<string, string>();
      files.set(m[2], file.text);
      envs.set(m[1], files);
    }
    const names = [...envs.keys()].sort();
    const first = names[0];
    if (first === undefined) return out;
    const reference = envs.get(first) ?? new Map<string, string>();
    const shared = (path: string) => path !== 'terraform.tfvars';
    for (const name of names.slice(1)) {
      const files = envs.get(name) ?? new Map<string, string>();
      for (const path of new Set([...reference.keys(), ...files.keys()])) {
        if (!shared(path)) continue;
        if (reference.get(path) !== files.get(path)) {
          out.push({
            rule: this.name,
            file: `envs/${name}/${path}`,
            resource: `module.${name}`,
            message: `differs from envs/${first}/${path}; environments may differ only in terraform.tfvars`,
          });
        }
      }
    }
    for (const file of tree.files) {
      const m = /^envs\/([^/]+)\/terraform\.tfvars$/.exec(file.path);
      if (!m) continue;
      const declared = new Set<string>();
      for (const other of tree.files.filter((f) => f.path.startsWith(`envs/${m[1]}/`))) {
        for (const v of Object.keys((other.body.variable as HclBody | undefined) ?? {})) declared.add(v);
      }
      for (const key of Object.keys(file.body)) {
        if (!declared.has(key)) {
          out.push({
            rule: this.name,
            file: file.path,
            resource: `variable.${key}`,
            message: 'set but not declared as a variable',
          });
        }
      }
    }
    return out;
  },
};

export const DEFAULT_POLICY: readonly PolicyRule[] = [
  bucketsEncryptedAndPrivate,
  resourcesTagged,
  iamWithoutWildcardActions,
  noSecretInDefaults,
  providersPinned,
  environmentsDifferOnlyInVariables,
];

export function checkPolicy(
  tree: TerraformTree,
  rules: readonly PolicyRule[] = DEFAULT_POLICY,
): PolicyViolation[] {
  return rules.flatMap((rule) => rule.check(tree));
}

export function formatViolation(v: PolicyViolation): string {
  return `${v.file}: ${v.resource}: ${v.rule}: ${v.message}`;
}
