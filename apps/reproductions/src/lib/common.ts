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
