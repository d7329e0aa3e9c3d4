import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type ConditionedDenoiser,
  type ConditionedScoreFn,
  foldIn,
  type Key,
  NonFiniteError,
  normal,
  ShapeError,
  ValueError,
} from '@walkjump/tensor';
import { checkPosition, finiteRows, sameShape } from '../kernels/overdamped.ts';

/** Options of {@link reverseDiffusion}. */
export interface ReverseDiffusionOptions {
  /**
   * ∇log r_t(y), the score of the forward OU marginal at time t (X_t = e^{−t}X₀ + √(1 − e^{−2t}) Z);
   * called as `score(y, t)` with a number t.
   */
  readonly score: ConditionedScoreFn;
  /** Starting points Y₀ [C, ...] (not disposed), or `shape` to start from N(0, I) ≈ r_T. */
  readonly init?: tf.Tensor;
  /** [C, ...] when `init` is absent. */
  readonly shape?: readonly number[];
  /** T, the horizon of the forward process, > 0 (r_T ≈ N(0, I) needs T of a few units). */
  readonly horizon: number;
  /** Euler–Maruyama steps, ≥ 1. */
  readonly steps: number;
  /** Stop the reverse time at t = tMin ≥ 0 (the score is often singular at t = 0); default 0. */
  readonly tMin?: number;
}

/**
 * Sampling by the reverse-time Ornstein–Uhlenbeck diffusion (Bach, slides on sampling by denoising,
 * "Denoising diffusion models"; Song et al. 2021): the forward flow dX = −X dt + √2 dB has marginals
 * r_t, and Y_t = X_{T−t} solves dY = [Y + 2∇log r_{T−t}(Y)] dt + √2 dB. Euler–Maruyama with
 * γ = (T − tMin)/steps: y_{k+1} = y_k + γ y_k + 2γ∇log r_{T−γk}(y_k) + √(2γ) ε_k, from y₀ ~ N(0, I)
 * (or `init`), returning y_K ≈ X_{tMin} [C, ...]. Step k uses `foldIn(key, k)`. The score must return
 * y's shape (checked on the first call: ShapeError); a non-finite start or first score throws
 * NonFiniteError. The caller owns the result; `init` is not disposed.
 */
export function reverseDiffusion(key: Key, opts: ReverseDiffusionOptions): tf.Tensor {
  const fn = 'reverseDiffusion';
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`${fn}: options { score, horizon, steps } are required`);
  if (typeof opts.score !== 'function') throw new ValueError(`${fn}: 'score' must be a function (y, t) ↦ ∇log r_t(y)`);
  assertPositive(fn, 'horizon', opts.horizon);
  assertInteger(fn, 'steps', opts.steps, 1);
  const tMin = opts.tMin ?? 0;
  if (!(Number.isFinite(tMin) && tMin >= 0 && tMin < opts.horizon)) {
    throw new ValueError(`${fn}: 'tMin' must be in [0, horizon), got ${String(tMin)}`);
  }
  let y: tf.Tensor;
  if (opts.init !== undefined) {
    checkPosition(fn, opts.init);
    y = tf.clone(opts.init);
  } else {
    const shape = opts.shape;
    if (!Array.isArray(shape) || shape.length < 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
      throw new ShapeError(`${fn}: give 'init' [C, ...] or 'shape' [C, ...] (rank ≥ 2), got ${JSON.stringify(shape)}`);
    }
    y = normal(foldIn(key, 0), shape);
  }
  const g = (opts.horizon - tMin) / opts.steps;
  const noise = Math.sqrt(2 * g);
  try {
    for (let k = 0; k < opts.steps; k++) {
      const t = opts.horizon - g * k;
      const prev = y;
      y = tf.tidy(() => {
        const s = opts.score(prev, t);
        if (k === 0) checkFirstScore(fn, s, prev);
        return tf.add(
          tf.add(tf.mul(prev, 1 + g), tf.mul(s, 2 * g)),
          tf.mul(normal(foldIn(key, k + 1), prev.shape), noise),
        );
      });
      prev.dispose();
    }
    return y;
  } catch (e) {
    y.dispose();
    throw e;
  }
}

function checkFirstScore(fn: string, s: tf.Tensor, y: tf.Tensor): void {
  if (!(s instanceof tf.Tensor) || !sameShape(s.shape, y.shape)) {
    throw new ShapeError(
      `${fn}: the score must return the position's shape [${y.shape.join(', ')}], got [${s instanceof tf.Tensor ? s.shape.join(', ') : typeof s}]`,
    );
  }
  const ok = tf.tidy(() => tf.min(finiteRows(s)));
  const fine = ok.dataSync()[0] === 1;
  ok.dispose();
  if (!fine) throw new NonFiniteError(`${fn}: the score is not finite at the start`);
}

/** Options of {@link stochasticLocalization}. */
export interface StochasticLocalizationOptions {
  /**
   * The posterior mean at every noise level: `denoiser(y, σ)` ≈ E[X | X + σN(0, I) = y], with a
   * number σ > 0 (e.g. y + σ²∇log q_σ(y) by Tweedie).
   */
  readonly denoiser: ConditionedDenoiser;
  /** [C, ...], the shape of the samples. */
  readonly shape: readonly number[];
  /** Final time T > 0; the result is E[X | Z_T], whose noise level is 1/√T. */
  readonly horizon: number;
  /** Euler–Maruyama steps (uniform δ = T/steps), ≥ 1. */
  readonly steps: number;
  /** E[X], the drift at t = 0 ([1, ...] or [C, ...]); default: the denoiser at y = 0 with σ = 10⁴. */
  readonly mean?: tf.Tensor;
}

/** Result of {@link stochasticLocalization}; the caller owns both tensors. */
export interface StochasticLocalizationResult {
  /** The final estimate x̂ = E[X | Z_T] = denoiser(Z_T/T, 1/√T), [C, ...]. */
  readonly sample: tf.Tensor;
  /** Z_T/T = X + N(0, I/T) in law, [C, ...]. */
  readonly observation: tf.Tensor;
}

/**
 * The stochastic-localization sampler (Montanari 2023; Bach, slides, "Link with stochastic
 * localization"): Z_t = tX + B_t satisfies dZ = E[X | Z_t] dt + dB with E[X | Z_t] the posterior mean
 * at noise level σ = 1/√t of y = Z_t/t. Euler–Maruyama with δ = T/steps from Z₀ = 0:
 * Z_{k+1} = Z_k + δ·denoiser(Z_k/t_k, 1/√t_k) + √δ ε_k (E[X] at t₀ = 0), so each increment
 * (Z_{k+1} − Z_k)/δ is one more measurement X + N(0, I/δ) — the discretization is exactly
 * sequential multimeasurement sampling with noise 1/√δ. Step k uses `foldIn(key, k)`. Returns the
 * final denoised estimate and Z_T/T; the caller owns them; `mean` is not disposed.
 */
export function stochasticLocalization(key: Key, opts: StochasticLocalizationOptions): StochasticLocalizationResult {
  const fn = 'stochasticLocalization';
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`${fn}: options { denoiser, shape, horizon, steps } are required`);
  if (typeof opts.denoiser !== 'function')
    throw new ValueError(`${fn}: 'denoiser' must be a function (y, σ) ↦ E[X | y]`);
  const shape = opts.shape;
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new ShapeError(`${fn}: 'shape' must be [C, ...] (rank ≥ 2), got ${JSON.stringify(shape)}`);
  }
  assertPositive(fn, 'horizon', opts.horizon);
  assertInteger(fn, 'steps', opts.steps, 1);
  if (opts.mean !== undefined && !(opts.mean instanceof tf.Tensor))
    throw new ShapeError(`${fn}: 'mean' must be a tensor`);
  const d = opts.horizon / opts.steps;
  const sq = Math.sqrt(d);
  let z: tf.Tensor = tf.zeros([...shape]);
  try {
    for (let k = 0; k < opts.steps; k++) {
      const t = k * d;
      const prev = z;
      z = tf.tidy(() => {
        const m =
          k === 0
            ? opts.mean !== undefined
              ? tf.broadcastTo(opts.mean, [...shape])
              : opts.denoiser(tf.zeros([...shape]), 1e4)
            : opts.denoiser(tf.div(prev, t), 1 / Math.sqrt(t));
        if (k === 0) checkFirstScore(fn, m, prev);
        return tf.add(tf.add(prev, tf.mul(m, d)), tf.mul(normal(foldIn(key, k + 1), shape), sq));
      });
      prev.dispose();
    }
    const T = opts.horizon;
    const zz = z;
    return tf.tidy(() => {
      const observation = tf.div(zz, T);
      return { sample: opts.denoiser(observation, 1 / Math.sqrt(T)), observation };
    });
  } finally {
    z.dispose();
  }
}
