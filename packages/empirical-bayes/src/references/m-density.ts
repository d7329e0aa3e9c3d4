import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, type Denoiser, type EnergyFn, type ScoreFn, ShapeError, ValueError } from '@walkjump/tensor';
import { checkBatch, perMeasurement, resolveSigmas } from '../internal/checks.ts';

/** Options of {@link gaussianMDensity}. */
export interface GaussianMDensityOptions {
  /** The prior mean μ ∈ ℝ^d (its length sets d). */
  readonly mu: readonly number[];
  /** The prior standard deviation σ₀ > 0: X ~ N(μ, σ₀²I). */
  readonly sigma0: number;
  /** Noise levels: [σ_1 … σ_M], or one σ with `M` (σ ⊗ M). */
  readonly sigma: number | readonly number[];
  /** Number of measurements when `sigma` is a number (default 1). */
  readonly M?: number;
}

/** The closed-form Gaussian M-density of {@link gaussianMDensity}; all functions take y [B, M, d]. */
export interface GaussianMDensity {
  /** log p(y), normalized (eq. 27 with the (2π)^{Md/2} constant, see the note), shape [B]. */
  readonly logProb: EnergyFn;
  /** f(y) = −log p(y), shape [B]. */
  readonly energy: EnergyFn;
  /** ∇log p(y) in closed form: ∇_m log p = (x̂(y) − y_m)/σ_m², shape [B, M, d]. */
  readonly score: ScoreFn;
  /** The Bayes estimator x̂(y) = ỹ/Z_M (eq. 28), shape [B, d]. */
  readonly denoiser: Denoiser;
  /** The noise levels σ_1 … σ_M. */
  readonly sigmas: readonly number[];
}

/**
 * The Gaussian M-density of Saremi & Srivastava (2022), App. A (eqs. 25–28): X ~ N(μ, σ₀²I_d) and
 * Y_m = X + N(0, σ_m²I_d), m ∈ [M], for any (unequal) σ_m. With y_0 := μ, P = Σ_{m=0}^M σ_m⁻² and
 * Z_M = Π_m σ_m² · P (so ỹ/Z_M = P⁻¹Σ_m y_m/σ_m²):
 * log p(y) = −Σ_{m=0}^M ‖y_m‖²/(2σ_m²) + ‖ỹ‖²/(2Σ_M) − d log((2π)^{M/2}√Z_M), and x̂(y) = ỹ/Z_M.
 * Note: the printed eq. 27 writes (2π)^M inside the log; integrating the Gaussians gives (2π)^{M/2},
 * which also agrees with the M = 2 case (eq. 25) — this implementation uses (2π)^{M/2} and its test
 * checks normalization against eq. 25. Computed in the precision form (stable for small σ_m).
 */
export function gaussianMDensity(opts: GaussianMDensityOptions): GaussianMDensity {
  const fn = 'gaussianMDensity';
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`${fn}: options { mu, sigma0, sigma } are required`);
  assertPositive(fn, 'sigma0', opts.sigma0);
  if (!Array.isArray(opts.mu) || opts.mu.length === 0 || !opts.mu.every(Number.isFinite)) {
    throw new ValueError(`${fn}: 'mu' must be a non-empty array of finite numbers`);
  }
  const sigmas = resolveSigmas(fn, opts.sigma, opts.M);
  const M = sigmas.length;
  const d = opts.mu.length;
  const prec = sigmas.map((s) => 1 / (s * s));
  const p0 = 1 / (opts.sigma0 * opts.sigma0);
  const P = p0 + prec.reduce((a, b) => a + b, 0);
  const logZM = 2 * Math.log(opts.sigma0) + sigmas.reduce((a, s) => a + 2 * Math.log(s), 0) + Math.log(P);
  const mu2 = opts.mu.reduce((a, v) => a + v * v, 0);
  const constant = -0.5 * p0 * mu2 - d * (0.5 * M * Math.log(2 * Math.PI) + 0.5 * logZM);

  const check = (name: string, y: tf.Tensor): number => {
    const B = checkBatch(`${fn}.${name}`, 'y', y, 3);
    if (y.rank !== 3 || y.shape[1] !== M || y.shape[2] !== d) {
      throw new ShapeError(`${fn}.${name}: 'y' must have shape [B, ${M}, ${d}], got [${y.shape.join(', ')}]`);
    }
    return B;
  };
  // a = μ/σ₀² + Σ_m y_m/σ_m², x̂ = a/P
  const xhat = (y: tf.Tensor): tf.Tensor =>
    tf.div(tf.add(tf.sum(tf.mul(y, perMeasurement(prec, 3)), 1), tf.mul(tf.tensor1d(opts.mu as number[]), p0)), P);

  const logProb: EnergyFn = (y) => {
    check('logProb', y);
    return tf.tidy(() => {
      const quad = tf.sum(tf.mul(tf.sum(tf.square(y), 2), tf.tensor2d(prec, [1, M])), 1);
      const a = tf.mul(xhat(y), P);
      return tf.add(tf.sub(tf.div(tf.sum(tf.square(a), 1), 2 * P), tf.mul(quad, 0.5)), constant);
    });
  };
  const energy: EnergyFn = (y) => tf.tidy(() => tf.neg(logProb(y)));
  const denoiser: Denoiser = (y) => {
    check('denoiser', y);
    return tf.tidy(() => xhat(y));
  };
  const score: ScoreFn = (y) => {
    check('score', y);
    return tf.tidy(() => tf.mul(tf.sub(tf.expandDims(xhat(y), 1), y), perMeasurement(prec, 3)));
  };
  return { logProb, energy, score, denoiser, sigmas };
}
