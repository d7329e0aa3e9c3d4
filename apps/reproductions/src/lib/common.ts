// Shared plumbing for reproduction scripts: the module shape, output helpers, timing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '@walkjump/tensor';

/** What a reproduction's `run` receives. */
export interface ReproArgs {
  /** Output folder (created by `prepareOut`); defaults to `apps/reproductions/results/<id>`. */
  out: string;
  /** A reduced budget for smoke tests (CI); the numbers then are not the reported ones. */
  quick: boolean;
  /** The raw command-line arguments, for script-specific flags. */
  argv: string[];
}

/** A reproduction module: `src/<id>.ts` exports both. */
export interface Reproduction {
  meta: {
    /** The id used on the command line, equal to the file name without `.ts`. */
    id: string;
    title: string;
    /** The source document and table/figure, e.g. `000 Table 1`. */
    source: string;
  };
  run(args: ReproArgs): Promise<void>;
}

/** Creates the output folder and returns a path joiner into it. */
export function prepareOut(out: string): (name: string) => string {
  mkdirSync(out, { recursive: true });
  return (name) => join(out, name);
}

/** Writes `summary.json` (atomically) and prints it. */
export async function writeSummary(out: string, summary: unknown): Promise<void> {
  await writeJsonAtomic(join(out, 'summary.json'), summary);
  console.log(JSON.stringify(summary, null, 2));
}

/** Seconds since `t0` (from `performance.now()`), to 0.1 s. */
export function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10;
}

/** `--name value` from argv as a number, else `fallback`. */
export function numOpt(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
}

/** Rounds to `digits` decimals for summaries. */
export const round = (v: number, digits = 4): number => Number(v.toFixed(digits));

/** Cosine learning-rate decay from `lr0` at step 0 to `floor · lr0` at step `steps`. */
export const cosineLr =
  (lr0: number, steps: number, floor = 0.05) =>
  (s: number): number =>
    lr0 * (floor + (1 - floor) * 0.5 * (1 + Math.cos((Math.PI * s) / steps)));
