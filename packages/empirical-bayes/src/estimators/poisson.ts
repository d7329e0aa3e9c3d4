import * as tf from '@tensorflow/tfjs-core';
import { type EnergyFn, ValueError } from '@walkjump/tensor';
import { checkBatch, checkPerSample } from '../internal/checks.ts';

/** Options of {@link poissonMultimeasurementTweedie}. */
export interface PoissonTweedieOptions {
  /** A measurement index m ∈ [0, M), or `'mean'` (default): the average of the M estimates. */
  readonly index?: number | 'mean';
  /** Check that the counts are non-negative integers (one read-back per call). Default true. */
  readonly checkCounts?: boolean;
}

/** Throws a ValueError unless every entry of `y` is a non-negative integer (reads `y` back). */
export function checkCounts(fn: string, name: string, y: tf.Tensor): void {
  const v = y.dataSync();
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as number;
    if (!(c >= 0) || !Number.isInteger(c)) {
      throw new ValueError(`${fn}: '${name}' must hold non-negative integer counts, got ${c} at flat index ${i}`);
    }
  }
}

/**
 * The Poisson multimeasurement Bayes estimator (Saremi & Srivastava 2022, eq. 5):
 * x̂(y) = (y_m + 1) p(y + 1_m)/p(y) for Y_l ~ Poisson(x) independently, l ∈ [M], computed from an
 * unnormalized log-mass `logMass` (the partition function cancels). `y` is [B, M] for scalar X ∈ ℝ₊,
 * or [B, M, ...] for X ∈ ℝ₊^D with independent coordinates (each coordinate j uses p(y + 1_{m,j})).
 * `logMass` maps counts [K, M, ...] (float32 holding integers) to [K]. Returns x̂ of shape [B] or
 * [B, ...]; the caller owns it. Throws `ValueError` for counts that are not non-negative integers.
 */
export function poissonMultimeasurementTweedie(
  logMass: EnergyFn,
  opts: PoissonTweedieOptions = {},
): (y: tf.Tensor) => tf.Tensor {
  const fn = 'poissonMultimeasurementTweedie';
  const index = opts.index ?? 'mean';
  return (y) => {
    const B = checkBatch(fn, 'y', y, 2);
    const M = y.shape[1] as number;
    if (index !== 'mean' && (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= M)) {
      throw new ValueError(`${fn}: 'index' must be 'mean' or an integer in [0, ${M - 1}], got ${String(index)}`);
    }
    if (opts.checkCounts !== false) checkCounts(fn, 'y', y);
    const rest = y.shape.slice(2);
    const D = rest.reduce((a, b) => a * b, 1);
    const ms = index === 'mean' ? Array.from({ length: M }, (_, m) => m) : [index];
    const K = ms.length * D; // shifted copies per sample
    return tf.tidy(() => {
      const flat = tf.reshape(y, [B, M * D]);
      // one-hot shifts 1_{m,j}: [K, M·D]
      const shifts = new Float32Array(K * M * D);
      ms.forEach((m, a) => {
        for (let j = 0; j < D; j++) shifts[(a * D + j) * M * D + m * D + j] = 1;
      });
      const shifted = tf.add(tf.expandDims(flat, 1), tf.tensor(shifts, [1, K, M * D]));
      const batch = tf.concat([tf.expandDims(flat, 1), shifted], 1); // [B, 1 + K, M·D]
      const lp = logMass(tf.reshape(batch, [B * (1 + K), M, ...rest]));
      checkPerSample(fn, 'logMass', lp, B * (1 + K));
      const l = tf.reshape(lp, [B, 1 + K]);
      const ratio = tf.exp(tf.sub(tf.slice(l, [0, 1], [B, K]), tf.slice(l, [0, 0], [B, 1]))); // [B, K]
      // (y_{m,j} + 1) for the same (m, j) order
      const ym = tf.concat(
        ms.map((m) => tf.slice(flat, [0, m * D], [B, D])),
        1,
      ); // [B, K]
      const est = tf.reshape(tf.mul(tf.add(ym, 1), ratio), [B, ms.length, D]);
      const xh = tf.mean(est, 1); // [B, D]
      return rest.length === 0 ? tf.reshape(xh, [B]) : tf.reshape(xh, [B, ...rest]);
    });
  };
}
