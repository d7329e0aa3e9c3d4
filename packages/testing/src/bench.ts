/**
 * Timing helpers shared by the package benchmarks (`packages/<pkg>/bench/*.ts`), exposed as the
 * subpath `@walkjump/testing/bench` so that benches do not import vitest (the main entry does).
 *
 * The protocol matches the PyTorch references in `tooling/reference/*_bench.py`
 * (`tooling/reference/_bench_common.py`): one warm-up call, one call to size a run to
 * ~`targetRunMs`, then the median rate over `runs` timed runs. Nothing here touches tensors.
 *
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Median of `xs` (the mean of the two middle values for an even count). Does not modify `xs`.
 * Returns `NaN` for an empty array.
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Options of {@link rate} and {@link rateDetail}. */
export interface RateOptions {
  /** Number of timed runs whose median is reported (≥ 1). */
  runs: number;
  /** Wall time one timed run is sized to, in milliseconds (default 600). */
  targetRunMs?: number;
}

/** What {@link rateDetail} measured. */
export interface RateDetail {
  /** Median calls per second over the timed runs. */
  perSecond: number;
  /** Calls per timed run (sized from the second warm-up call to take ~`targetRunMs`). */
  perRun: number;
  /** Calls per second of every timed run, in order. */
  all: number[];
}

/**
 * Median calls per second of the synchronous `fn`: one warm-up call, one timed call that sizes a
 * run to `perRun = max(1, round(targetRunMs / t_one))` calls, then `runs` timed runs of `perRun`
 * calls each; returns the median rate together with `perRun` and every run's rate.
 */
export function rateDetail(fn: () => void, options: RateOptions): RateDetail {
  const { runs, targetRunMs = 600 } = options;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`rate: runs must be an integer ≥ 1, got ${runs}`);
  if (!(targetRunMs > 0)) throw new RangeError(`rate: targetRunMs must be > 0, got ${targetRunMs}`);
  fn();
  const t0 = performance.now();
  fn();
  const one = Math.max(performance.now() - t0, 1e-3);
  const perRun = Math.max(1, Math.round(targetRunMs / one));
  const all: number[] = [];
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    for (let i = 0; i < perRun; i++) fn();
    all.push((perRun * 1000) / (performance.now() - s));
  }
  return { perSecond: median(all), perRun, all };
}

/** Median calls per second of `fn` (see {@link rateDetail} for the protocol). */
export function rate(fn: () => void, options: RateOptions): number {
  return rateDetail(fn, options).perSecond;
}

/**
 * Median wall time in milliseconds of `n` calls of `fn` (sync or async), after one warm-up call.
 */
export async function medianMs(fn: () => Promise<void> | void, n: number): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let r = 0; r < n; r++) {
    const s = performance.now();
    await fn();
    ms.push(performance.now() - s);
  }
  return median(ms);
}

/** Options of {@link runPythonReference}. */
export interface PythonReferenceOptions {
  /** Interpreter; default `$WALKJUMP_PYTHON` or Debian's `/usr/bin/python3` (which has torch). */
  python?: string;
  /** Kill the reference after this many milliseconds (default 600 000). */
  timeoutMs?: number;
  /** Prefix of the returned explanation when the reference cannot be used (default `reference unavailable`). */
  label?: string;
}

/**
 * Runs a reference script `python script ...args` and parses the last line of its stdout as JSON.
 * Returns the parsed value, or a one-line string starting with `label` that says why the reference
 * is unavailable (script missing, interpreter failed to start, non-zero exit, unparsable output), so
 * that a bench can print it and carry on.
 */
export function runPythonReference<T>(
  script: string,
  args: readonly (string | number)[],
  options: PythonReferenceOptions = {},
): T | string {
  const python = options.python ?? process.env.WALKJUMP_PYTHON ?? '/usr/bin/python3';
  const label = options.label ?? 'reference unavailable';
  if (!existsSync(script)) return `${label}: ${script} not found`;
  const out = spawnSync(python, [script, ...args.map(String)], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 600_000,
  });
  if (out.error !== undefined) return `${label}: ${python} failed to start (${out.error.message})`;
  if (out.status !== 0)
    return `${label}: ${(out.stderr || out.stdout).trim().split('\n').pop() ?? `exit ${out.status}`}`;
  try {
    return JSON.parse(out.stdout.trim().split('\n').pop() ?? '') as T;
  } catch {
    return `${label}: could not parse its output: ${out.stdout.slice(0, 200)}`;
  }
}

/** The command-line accessors of {@link cliArgs}. */
export interface CliArgs {
  /** The arguments themselves. */
  argv: readonly string[];
  /** Whether `--name` is present. */
  flag: (name: string) => boolean;
  /** The argument after `--name`, or `fallback` when `--name` is absent or last. */
  option: (name: string, fallback: string) => string;
}

/** Minimal `--flag` / `--option value` parsing of a bench's arguments (default `process.argv.slice(2)`). */
export function cliArgs(argv: readonly string[] = process.argv.slice(2)): CliArgs {
  return {
    argv,
    flag: (name) => argv.includes(`--${name}`),
    option: (name, fallback) => {
      const i = argv.indexOf(`--${name}`);
      return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
    },
  };
}
