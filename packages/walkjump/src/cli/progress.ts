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

/** How a command reports: a progress bar on a TTY, plain lines otherwise, nothing, or JSON lines on stdout. */
export type OutputMode = 'human' | 'quiet' | 'json';

/** A progress reporter for one long phase at a time (training steps, walk steps). */
export interface Progress {
  /** Starts a phase of `total` units at `start`. */
  start(label: string, total: number, start?: number): void;
  /** Moves to `value`; `payload` (e.g. loss) goes into the bar or the JSON line. */
  update(value: number, payload?: Readonly<Record<string, number>>): void;
  /** Ends the phase (clears the bar). */
  stop(): void;
  /** A human message on stderr (not in quiet or JSON mode). */
  log(s: string): void;
  /** A JSON line on stdout (JSON mode only). */
  json(o: Readonly<Record<string, unknown>>): void;
}

/**
 * A {@link Progress} for `mode`: cli-progress bars with rate and ETA on a TTY, a plain line every
 * 10% when stderr is not a terminal, nothing with `quiet`, and JSON lines
 * `{"event":"progress","phase",…}` (at most ~50 per phase) on stdout with `json`.
 */
export function makeProgress(mode: OutputMode): Progress {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let label = '';
  let total = 1;
  let lastBucket = -1;
  const fmt = (p: Readonly<Record<string, number>> | undefined): string =>
    p === undefined
      ? ''
      : Object.entries(p)
          .map(([k, v]) => `${k} ${Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(4)}`)
          .join(', ');
  return {
    start(l, t, s = 0) {
      label = l;
      total = Math.max(1, t);
      lastBucket = -1;
      if (mode === 'human' && tty) {
        bar = new cliProgress.SingleBar(
          {
            format: `${l} |{bar}| {value}/{total} | {info} | ETA {eta_formatted}`,
            hideCursor: true,
            etaBuffer: 50,
            fps: 10,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, s, { info: '…' });
      }
    },
    update(v, p) {
      if (mode === 'quiet') return;
      if (mode === 'json') {
        const bucket = Math.floor((50 * v) / total);
        if (bucket !== lastBucket || v === total) {
          lastBucket = bucket;
          process.stdout.write(`${JSON.stringify({ event: 'progress', phase: label, step: v, total, ...p })}\n`);
        }
        return;
      }
      if (bar !== undefined) bar.update(v, { info: fmt(p) });
      else {
        const bucket = Math.floor((10 * v) / total);
        if (bucket !== lastBucket) {
          lastBucket = bucket;
          process.stderr.write(`${label}: ${v}/${total}${p === undefined ? '' : `, ${fmt(p)}`}\n`);
        }
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
    log(s) {
      if (mode === 'human') process.stderr.write(`${s}\n`);
    },
    json(o) {
      if (mode === 'json') process.stdout.write(`${JSON.stringify(o)}\n`);
    },
  };
}
