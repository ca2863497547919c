/**
 * The report options every command that produces a quality report takes (`--junit`, `--markdown`,
 * `--annotations`, `--bitbucket-insights`); light, so a command's definition can add them without
 * loading the renderers.
 */
import { type Command, Option } from 'commander';

export interface ReportFileOptions {
  readonly junit?: string;
  readonly markdown?: string;
  /** `github`: print workflow-command annotations (GitHub reads them from stdout). */
  readonly annotations?: string;
  /** A folder for the Bitbucket Code Insights report.json and annotations.json. */
  readonly bitbucketInsights?: string;
}

/** Options every command that produces a quality report takes. */
export function addReportOptions(command: Command): Command {
  return command
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--markdown <file>', 'also write a Markdown report')
    .addOption(
      new Option('--annotations <format>', 'print annotations for the CI system').choices(['github']),
    )
    .option('--bitbucket-insights <dir>', 'also write a Bitbucket Code Insights report and annotations');
}
