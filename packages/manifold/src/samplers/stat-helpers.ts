// Test-only helpers for the statistical tests (not exported from the package).
import * as tf from '@tensorflow/tfjs-core';
import { type Key, foldIn } from '@walkjump/tensor';
import type { ConstrainedInfo, ConstrainedKernel } from './rattle.ts';
import { disposeConstrainedState } from './rattle.ts';

/** Kolmogorov–Smirnov statistic sup|F_n − F| of a sample against a continuous CDF. */
export function ksStatistic(sample: readonly number[], cdf: (x: number) => number): number {
  const s = [...sample].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** KS critical value at level α = 0.001 (asymptotic, c(α) = 1.949). */
export const ksCritical001 = (n: number): number => 1.949 / Math.sqrt(n);

export interface RunSummary {
  readonly final: number[][];
  readonly acceptanceRate: number;
  readonly maxConstraintResidual: number;
  readonly solverFailures: number;
  readonly nonReversible: number;
}

/** Runs `iterations` steps from `start` (`[C, n]`) and returns the final positions (C independent chains). */
export function runChains(kernel: ConstrainedKernel, start: number[][], iterations: number, k: Key): RunSummary {
  const x0 = tf.tensor2d(start);
  let st = kernel.init(x0);
  x0.dispose();
  let acc = 0;
  let maxRes = 0;
  let fails = 0;
  let nonrev = 0;
  for (let i = 0; i < iterations; i++) {
    const [next, info]: [typeof st, ConstrainedInfo] = kernel.step(foldIn(k, i), st);
    disposeConstrainedState(st);
    st = next;
    acc += info.acceptanceRate;
    maxRes = Math.max(maxRes, ...info.constraintResidual);
    fails += info.solverFailed.filter(Boolean).length;
    nonrev += info.nonReversible.filter(Boolean).length;
  }
  const final = st.position.arraySync();
  disposeConstrainedState(st);
  return { final, acceptanceRate: acc / iterations, maxConstraintResidual: maxRes, solverFailures: fails, nonReversible: nonrev };
}
