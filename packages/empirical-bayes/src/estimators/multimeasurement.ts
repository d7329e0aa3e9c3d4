import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type ConditionedScoreFn,
  type EnergyFn,
  inputGrad,
  type ScoreFn,
  ShapeError,
  ValueError,
} from '@walkjump/tensor';
import { checkBatch, checkOutShape, perMeasurement, resolveSigmas } from '../internal/checks.ts';

/**
 * Which multimeasurement estimate to return: a measurement index m ∈ [0, M) (eq. 7 with that m),
 * `'mean'` (the average of the M estimates, the estimator used with the eq. 14 objective) or
 * `'all'` (the M estimates stacked, [B, M, ...]; equal for the exact M-density by eq. 8).
 */
export type MeasurementIndex = number | 'mean' | 'all';

/** Options of {@link multimeasurementTweedie} and {@link multimeasurementTweedieFromEnergy}. */
export interface MultimeasurementOptions {
  /** Which estimate to return; default `'mean'`. */
  readonly index?: MeasurementIndex;
}

/** A multimeasurement denoiser: y [B, M, ...] → x̂ [B, ...] (or [B, M, ...] for `index: 'all'`). */
export type MultimeasurementDenoiser = (y: tf.Tensor) => tf.Tensor;

const checkIndex = (fn: string, index: MeasurementIndex, M: number): void => {
  if (index === 'mean' || index === 'all') return;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= M) {
    throw new ValueError(`${fn}: 'index' must be 'mean', 'all' or an integer in [0, ${M - 1}], got ${String(index)}`);
  }
};

const checkY = (fn: string, y: tf.Tensor, M: number): void => {
  checkBatch(fn, 'y', y, 2);
  if (y.shape[1] !== M) {
    throw new ShapeError(
      `${fn}: 'y' must have shape [B, ${M}, ...] (measurements on axis 1), got [${y.shape.join(', ')}]`,
    );
  }
};

// x̂^(m) = y_m + σ_m² s_m for every m at once, then pick/average.
const combine = (y: tf.Tensor, score: tf.Tensor, s2: readonly number[], index: MeasurementIndex): tf.Tensor => {
  const all = tf.add(y, tf.mul(score, perMeasurement(s2, y.rank)));
  if (index === 'all') return all;
  if (index === 'mean') return tf.mean(all, 1);
  return tf.squeeze(tf.slice(all, [0, index], [-1, 1]), [1]);
};

/**
 * The Gaussian multimeasurement Bayes estimator from the score of the M-density (Saremi &
 * Srivastava 2022, eq. 7): x̂(y) = y_m + σ_m²∇_m log p(y) for Y_m = X + N(0, σ_m²I), m ∈ [M], with
 * unequal σ_m allowed (`sigma` an array of M levels, or one σ for the σ ⊗ M model). By eq. 8 every
 * m gives the same estimate for the exact density; for a learned one (Remark 1) `index` picks one m,
 * their mean (default) or all M. `score` maps y [B, M, ...] to the same shape. The returned denoiser
 * maps [B, M, ...] to [B, ...] ([B, M, ...] for `'all'`); the caller owns its result.
 */
export function multimeasurementTweedie(
  score: ScoreFn,
  sigma: number | readonly number[],
  opts: MultimeasurementOptions = {},
): MultimeasurementDenoiser {
  const fn = 'multimeasurementTweedie';
  const sig = resolveSigmas(fn, sigma);
  const M = sig.length;
  const index = opts.index ?? 'mean';
  checkIndex(fn, index, M);
  const s2 = sig.map((s) => s * s);
  return (y) => {
    checkY(fn, y, M);
    return tf.tidy(() => {
      const s = score(y);
      checkOutShape(fn, 'score', s, y.shape);
      return combine(y, s, s2, index);
    });
  };
}

/**
 * The Gaussian multimeasurement Bayes estimator from an energy f(y) = −log p(y) + const of the
 * M-density (Saremi & Srivastava 2022, eq. 11): x̂^(m)(y) = y_m − σ_m²∇_m f(y); see
 * {@link multimeasurementTweedie} for `sigma` and `index`. `energy` maps y [B, M, ...] to [B]
 * with independent rows. The caller owns each result.
 */
export function multimeasurementTweedieFromEnergy(
  energy: EnergyFn,
  sigma: number | readonly number[],
  opts: MultimeasurementOptions = {},
): MultimeasurementDenoiser {
  const fn = 'multimeasurementTweedieFromEnergy';
  const sig = resolveSigmas(fn, sigma);
  const M = sig.length;
  const index = opts.index ?? 'mean';
  checkIndex(fn, index, M);
  const s2 = sig.map((s) => s * s);
  const g = inputGrad(energy);
  return (y) => {
    checkY(fn, y, M);
    return tf.tidy(() => combine(y, tf.neg(g(y)), s2, index));
  };
}

/**
 * The plug-in estimator x̂_mean(y) = M⁻¹ Σ_m y_m (Saremi & Srivastava 2022, Sec. 2.3): the
 * empirical mean of the measurements, y [B, M, ...] → [B, ...]. The caller owns the result.
 */
export function plugInEstimator(y: tf.Tensor): tf.Tensor {
  checkBatch('plugInEstimator', 'y', y, 2);
  return tf.mean(y, 1);
}

/**
 * σ_eff = M⁻¹(Σ_m σ_m²)^{1/2} (Saremi & Srivastava 2022, eq. 10): x − x̂_mean(y) ~ N(0, σ_eff²I), so
 * ‖x − x̂_mean(y)‖ ≈ σ_eff√d (eq. 9). `sigma` is [σ_1 … σ_M], or σ with `M` for σ ⊗ M (σ/√M).
 */
export function sigmaEff(sigma: number | readonly number[], M?: number): number {
  const sig = resolveSigmas('sigmaEff', sigma, M);
  return Math.sqrt(sig.reduce((a, s) => a + s * s, 0)) / sig.length;
}

/**
 * The multimeasurement posterior mean through the mean of the measurements (Bach's slides, after
 * Saremi, Park & Bach 2023): for Y_i = X + N(0, σ²I), i = 1…m, E[X | Y_1..Y_m] = ȳ +
 * (σ²/m)∇log q_{σ/√m}(ȳ), with ȳ the mean of the m measurements and q_s the density of X + N(0, s²I).
 * `score(y, s)` is a noise-conditional score evaluated at noise level s = σ/√m (a number). The
 * returned denoiser maps y [B, m, ...] to [B, ...]; the caller owns its result.
 */
export function meanMeasurementTweedie(score: ConditionedScoreFn, sigma: number): MultimeasurementDenoiser {
  const fn = 'meanMeasurementTweedie';
  assertPositive(fn, 'sigma', sigma);
  return (y) => {
    checkBatch(fn, 'y', y, 2);
    const m = y.shape[1] as number;
    assertInteger(fn, 'm (y.shape[1])', m, 1);
    return tf.tidy(() => {
      const ybar = tf.mean(y, 1);
      const s = score(ybar, sigma / Math.sqrt(m));
      checkOutShape(fn, 'score', s, ybar.shape);
      return tf.add(ybar, tf.mul(s, (sigma * sigma) / m));
    });
  };
}
