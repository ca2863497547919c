/**
 * Live progress for a build: on a terminal, a redrawn block with the models running now and a
 * count of those done; elsewhere, one plain line per finished model (log files stay readable).
 */
import logUpdate from 'log-update';
import { formatDuration } from '../../core/duration.js';
import type { ModelNode } from '../../project/project.js';
import type { BuildReporter, ModelBuildResult } from '../../release/build-results.js';
import { formatCount, type Output, pc } from './terminal.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createBuildProgress(output: Output, total: number): BuildReporter & { stop(): void } {
  const running = new Map<string, number>();
  let done = 0;
  let frame = 0;
  const symbol = (r: ModelBuildResult): string =>
    r.status === 'built' ? pc.green('✓') : r.status === 'failed' ? pc.red('✗') : pc.yellow('–');
  const finishedLine = (r: ModelBuildResult): string =>
    `${symbol(r)} ${r.name.padEnd(32)} ${pc.dim(r.kind.padEnd(11))} ${
      r.status === 'built'
        ? `${formatCount(r.rows).padStart(12)} rows  ${pc.dim(formatDuration(r.durationMs))}`
        : pc.dim(r.message?.split('\n')[0] ?? '')
    }`;
  const draw = (): void => {
    const now = performance.now();
    const lines = [...running].map(
      ([name, since]) =>
        `${pc.cyan(FRAMES[frame % FRAMES.length] ?? '')} ${name.padEnd(32)} ${pc.dim(formatDuration(now - since))}`,
    );
    logUpdate([`${pc.bold(`Building ${done}/${total}`)}`, ...lines].join('\n'));
  };
  const timer = output.interactive
    ? setInterval(() => {
        frame++;
        draw();
      }, 100)
    : undefined;
  timer?.unref();
  return {
    started(model: ModelNode) {
      running.set(model.name, performance.now());
      if (output.interactive) draw();
    },
    finished(result: ModelBuildResult) {
      running.delete(result.name);
      done++;
      if (output.json) return;
      if (output.interactive) {
        logUpdate.clear();
        process.stdout.write(`${finishedLine(result)}\n`);
        draw();
      } else {
        process.stdout.write(`${finishedLine(result)}\n`);
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      if (output.interactive) logUpdate.clear();
    },
  };
}
