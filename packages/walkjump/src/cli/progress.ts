import cliProgress from 'cli-progress';
import type { DemoEvent } from '../demo/options.ts';

/**
 * Turns demo events into terminal output on stderr: a cli-progress bar (rate and ETA) on a TTY, a
 * plain line every 10% otherwise, and one line per phase. Returns the event handler and a `stop`.
 */
export function demoReporter(quiet: boolean): { onEvent: (e: DemoEvent) => void; stop: () => void } {
  const log = (s: string): void => {
    if (!quiet) process.stderr.write(`${s}\n`);
  };
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let lastPlain = -1;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  const onEvent = (e: DemoEvent): void => {
    switch (e.type) {
      case 'backend':
        log(`backend: ${e.backend}`);
        break;
      case 'resumed':
        log(`resumed from step ${e.step}`);
        break;
      case 'train-start':
        if (quiet) break;
        if (tty) {
          bar = new cliProgress.SingleBar(
            {
              format: 'training |{bar}| {value}/{total} steps | loss {loss} | {rate} steps/s | ETA {eta_formatted}',
              hideCursor: true,
              etaBuffer: 50,
              fps: 10,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.steps, e.step, { loss: '…', rate: '…' });
        } else log(`training: step ${e.step}/${e.steps}`);
        break;
      case 'train-step':
        if (quiet) break;
        if (bar !== undefined) bar.update(e.step, { loss: e.loss.toFixed(4), rate: e.stepsPerSecond.toFixed(0) });
        else {
          const tenth = Math.floor((10 * e.step) / e.steps);
          if (tenth !== lastPlain) {
            lastPlain = tenth;
            log(
              `training: step ${e.step}/${e.steps}, loss ${e.loss.toFixed(4)}, ${e.stepsPerSecond.toFixed(0)} steps/s`,
            );
          }
        }
        break;
      case 'checkpoint':
        break;
      case 'train-end':
        stop();
        break;
      case 'phase':
        log(
          {
            sample: 'walk-jump sampling…',
            evaluate: 'computing metrics…',
            plot: 'plotting…',
            write: 'writing the run folder…',
          }[e.phase],
        );
        break;
    }
  };
  return { onEvent, stop };
}
