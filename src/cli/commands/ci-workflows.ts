/**
 * The pull-request gate `slipway init --ci` writes: a GitHub Actions workflow and a Bitbucket
 * pipeline that install the project from its lockfile (with the provider's cache), run the
 * project's own tests, `slipway test` and `slipway ci`, and publish the reports. Where prod's
 * state and input data come from depends on the project: on a shared PostgreSQL state store and
 * warehouse the runner reaches them through repository secrets named as the project's `url_env`;
 * on the embedded defaults (DuckDB, SQLite) nothing of prod is reachable, so the runner generates
 * sample data and `slipway ci` compares with an empty baseline — and the job summary says so.
 */
import type { ProjectConfig } from '../../project/schemas.js';

/** What of the project decides the workflow: the variables naming its shared database(s). */
export interface CiWorkflowOptions {
  /** Environment variables (repository secrets) holding the shared state store's and warehouse's URLs. */
  readonly sharedUrlEnvs: readonly string[];
}

/** Where a project keeps prod: the `url_env` variables when its state and warehouse are shared PostgreSQL. */
export function ciWorkflowOptions(config: ProjectConfig): CiWorkflowOptions {
  const connection = config.warehouse.connections[config.warehouse.default];
  const state = config.state;
  if (connection?.type !== 'postgres' || state?.type !== 'postgres') return { sharedUrlEnvs: [] };
  return { sharedUrlEnvs: [...new Set([state.url_env, connection.url_env])] };
}

/** The sample data scale a runner generates when it cannot see prod's input data. */
const SAMPLE_SCALE = '0.01';

const NO_SHARED_STORE =
  '> **No shared state store: this runner cannot see prod.** The project keeps its state and warehouse where it runs (SQLite, DuckDB), so `slipway ci` ran on generated sample data (scale 0.01) against an empty baseline: every model is built and checked, nothing is compared with the data of prod. To gate against prod, put the project on a shared PostgreSQL state store and warehouse (`slipway init --warehouse postgres`) and add its URL as a repository secret.';

const NO_SHARED_STORE_COMMENT = `#
# This project keeps its state and warehouse where it runs (SQLite, DuckDB), so the runner cannot
# see prod: it generates sample data and \`slipway ci\` compares with an empty baseline (the job
# summary says so). On a shared PostgreSQL state store and warehouse (\`slipway init --warehouse
# postgres\`), run \`slipway init . --ci …\` again: the gate then reads prod through a secret.
`;

/**
 * The shell of the "prod's state and input data" step: on a shared store, check that the secrets
 * reached the runner (a fork's pull request gets none) and say where prod comes from; otherwise
 * generate the sample data. `note` appends a line to the provider's summary.
 */
function prodDataScript(options: CiWorkflowOptions, note: (text: string) => string): string[] {
  const urls = options.sharedUrlEnvs;
  if (urls.length === 0) {
    return [
      'if [ -z "$(ls -A data 2>/dev/null)" ]; then',
      `  npx slipway generate --scale ${SAMPLE_SCALE}`,
      'fi',
      note(NO_SHARED_STORE),
    ];
  }
  const names = urls.join(', ');
  const missing = urls.map((v) => `[ -z "\${${v}:-}" ]`).join(' || ');
  return [
    `if ${missing}; then`,
    `  ${note(`> **❌ The repository secret ${names} is not set** (a pull request from a fork gets no secrets): this runner cannot reach the state store and warehouse of prod, so the gate did not run.`)}`,
    `  echo "error: the secret ${names} is not set: slipway ci needs the shared state store and warehouse of prod" >&2`,
    '  exit 1',
    'fi',
    `${note(`> Prod state and input data: the shared PostgreSQL state store and warehouse (repository secret ${names}). \`slipway ci\` builds the changed models in \`ci_<sha>\` and compares them with prod.`)}`,
  ];
}

function indent(lines: readonly string[], spaces: number): string {
  const pad = ' '.repeat(spaces);
  return lines.map((l) => (l === '' ? '' : `${pad}${l}`)).join('\n');
}

/** `.github/workflows/slipway.yml`. */
export function githubWorkflow(options: CiWorkflowOptions): string {
  const secrets = options.sharedUrlEnvs.map((v) => `  ${v}: \${{ secrets.${v} }}`);
  const summary = (text: string) => `echo ${shellQuote(text)} >> "$GITHUB_STEP_SUMMARY"`;
  return `# Slipway pull-request gate for this project (written by \`slipway init --ci github\`).
#
# Make it required, so nothing merges past a failing check or unit test:
#   Settings → Branches → Branch protection rules → main → "Require status checks to pass before
#   merging" → add the check named  slipway / gate  (it appears after the first run).
#
# The job installs the project from its lockfile (Slipway itself from vendor/), runs the project's
# own tests (npm test), the SQL unit tests, then \`slipway ci\` (validate, unit tests, plan against
# prod, build the changed models into an ephemeral environment, run their checks, data-diff them
# against prod). Reports: the Markdown report in the job summary, JUnit XML as an artifact, and
# annotations on the failing files and lines.
${
  options.sharedUrlEnvs.length > 0
    ? `#
# Prod's state and input data come from the shared PostgreSQL state store and warehouse: add the
# repository secret ${options.sharedUrlEnvs.join(', ')} (Settings → Secrets and variables → Actions) with a
# role that may read prod and create ci_* schemas.
`
    : NO_SHARED_STORE_COMMENT
}name: slipway

on:
  pull_request:
  workflow_dispatch:

permissions:
  contents: read
  checks: write
  pull-requests: write

concurrency:
  group: slipway-\${{ github.head_ref || github.ref }}
  cancel-in-progress: true

env:
  NO_COLOR: "1"
  DEFAULT_BRANCH: \${{ github.event.repository.default_branch }}
${secrets.join('\n')}${secrets.length > 0 ? '\n' : ''}
jobs:
  gate:
    name: gate
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # slipway ci compares with the base branch
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - name: Install (from the lockfile)
        run: npm ci --no-audit --no-fund
      - name: Project tests
        run: npm test
      - name: Prod's state and input data
        run: |
${indent(prodDataScript(options, summary), 10)}
      - name: SQL unit tests
        run: npx slipway test --junit reports/unit-tests.xml --markdown reports/unit-tests.md --annotations github
      - name: Slipway CI (plan, build changed models, checks, data diff)
        run: |
          npx slipway ci --base "origin/\${GITHUB_BASE_REF:-$DEFAULT_BRANCH}" \\
            --junit reports/slipway.xml --markdown reports/slipway.md --annotations github
      - name: Job summary
        if: always()
        run: |
          if [ -f reports/slipway.md ]; then
            cat reports/slipway.md >> "$GITHUB_STEP_SUMMARY"
          else
            ${summary('**❌ slipway ci wrote no report:** it stopped before the gate ran; the log of the steps above says why.')}
            if [ -f reports/unit-tests.md ]; then cat reports/unit-tests.md >> "$GITHUB_STEP_SUMMARY"; fi
          fi
      - name: Upload reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: slipway-reports
          path: reports/
`;
}

/** `bitbucket-pipelines.yml`. */
export function bitbucketPipeline(options: CiWorkflowOptions): string {
  const summary = (text: string) => `echo ${shellQuote(text)} | tee -a reports/prod-data.md`;
  return `# Slipway pull-request gate for this project (written by \`slipway init --ci bitbucket\`).
#
# Make it required: Repository settings → Branch restrictions → main → Merge checks →
# "Minimum number of successful builds for the last commit with no failed builds and no in
# progress builds: 1" (enforced on Premium plans).
#
# The step installs the project from its lockfile (Slipway itself from vendor/; npm's cache and
# node_modules are cached), runs the project's own tests (npm test), the SQL unit tests, then
# \`slipway ci\` against the pull request's destination branch. JUnit files under test-results/
# show in the Tests tab; the Code Insights report and its annotations (failing checks and tests on
# their files and lines) are uploaded through the Pipelines proxy, which authenticates the call.
${
  options.sharedUrlEnvs.length > 0
    ? `#
# Prod's state and input data come from the shared PostgreSQL state store and warehouse: add the
# secured repository variable ${options.sharedUrlEnvs.join(', ')} (Repository settings → Repository
# variables) with a role that may read prod and create ci_* schemas.
`
    : NO_SHARED_STORE_COMMENT
}image: node:20

clone:
  depth: full # slipway ci compares with the destination branch

definitions:
  caches:
    npm:
      key:
        files:
          - package-lock.json
      path: ~/.npm
  steps:
    - step: &slipway-gate
        name: slipway gate
        caches:
          - node
          - npm
        script:
          - export NO_COLOR=1 BASE="\${BITBUCKET_PR_DESTINATION_BRANCH:-\${BASE_BRANCH:-main}}"
          - git fetch origin "+refs/heads/$BASE:refs/remotes/origin/$BASE"
          - npm ci --no-audit --no-fund --prefer-offline
          - npm test
          - mkdir -p reports test-results
          - |
${indent(prodDataScript(options, summary), 12)}
          - npx slipway test --junit test-results/unit-tests.xml --markdown reports/unit-tests.md
          - >
            npx slipway ci --base "origin/$BASE"
            --junit test-results/slipway.xml --markdown reports/slipway.md
            --bitbucket-insights reports/insights
        after-script:
          - |
            if [ -f reports/insights/report.json ]; then
              proxy="\${SLIPWAY_PIPELINES_PROXY:-http://localhost:29418}"
              api="http://api.bitbucket.org/2.0/repositories/\${BITBUCKET_REPO_FULL_NAME}/commit/\${BITBUCKET_COMMIT}/reports/slipway"
              curl -sS --fail --proxy "$proxy" -X PUT "$api" -H 'Content-Type: application/json' --data @reports/insights/report.json
              curl -sS --fail --proxy "$proxy" -X POST "$api/annotations" -H 'Content-Type: application/json' --data @reports/insights/annotations.json
            fi
        artifacts:
          - reports/**
          - test-results/**

pipelines:
  pull-requests:
    "**":
      - step: *slipway-gate
  custom:
    slipway-gate:
      - variables:
          - name: BASE_BRANCH
            default: main
      - step: *slipway-gate
`;
}

/** A single-quoted shell word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}
