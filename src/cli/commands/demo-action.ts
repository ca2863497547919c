/** `slipway demo`: the whole Git-Ops story with real commits, then the operator keeps running. */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../core/errors.js';
import { runDemo } from '../demo/demo-story.js';
import type { GlobalOptions } from '../project-context.js';
import { createOutput } from '../render/terminal.js';

interface DemoCommandOptions extends GlobalOptions {
  readonly dir: string;
  readonly scale: string;
  readonly port: string;
  readonly exit?: boolean;
}

export async function demoAction(this: Command) {
  const options = this.optsWithGlobals<DemoCommandOptions>();
  const scale = Number(options.scale);
  const port = Number(options.port);
  if (!(scale > 0))
    throw new InvalidArgumentError(`--scale must be a positive number, not '${options.scale}'`);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`--port must be 0..65535, not '${options.port}'`);
  const output = createOutput({ json: Boolean(options.json) });
  const result = await runDemo({
    dir: options.dir,
    scale,
    port,
    exit: Boolean(options.exit),
    output,
    interrupted: () =>
      new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      }),
  });
  output.data({
    url: result.url,
    durationMs: result.durationMs,
    commits: result.commits,
    timeline: result.timeline,
  });
}
