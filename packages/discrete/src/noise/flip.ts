import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type Denoiser,
  type Key,
  logSumExp,
  type ScoreFn,
  ShapeError,
  split,
  uniform,
  ValueError,
} from '@walkjump/tensor';
import { assertSpins } from '../internal/validate.ts';
import type { DiscreteKernel, DiscreteState } from '../samplers/types.ts';
import { enumerateStates, type ExactDistribution } from '../targets/exact.ts';
import type { LogProbFn } from '../targets/types.ts';

/**
 * Binary-flip noise of Bach & Saremi (2025) (Bach, slides 003): y = x ∘ ε with independent ε_i ∈ {−1, 1},
 * P(ε_i = ±1) = σ(±2α), i.e. p(ε) ∝ e^{α εᵀ1}; α > 0 plays the role of an inverse variance (α → ∞: no
 * noise; α → 0: y uniform). x [B, d] in {−1, 1}^d (checked: reads x back once); returns y [B, d], owned by
 * the caller.
 */
export function flipNoise(k: Key, x: tf.Tensor, alpha: number): tf.Tensor {
  assertPositive('flipNoise', 'alpha', alpha);
  assertSpins('flipNoise', 'x', x);
  return tf.tidy(() => {
    const keep = tf.less(uniform(k, x.shape), 1 / (1 + Math.exp(-2 * alpha)));
    const xf = tf.cast(x, 'float32');
    return tf.where(keep, xf, tf.neg(xf));
  });
}

const checkDist = (fn: string, dist: ExactDistribution): void => {
  if (dist === null || typeof dist !== 'object' || !(dist.logProbs instanceof Float64Array)) {
    throw new ValueError(`${fn}: 'dist' must be an ExactDistribution (from exactDistribution), got ${typeof dist}`);
  }
};

/** [B, K] posterior logits log p(x_k) + α x_kᵀy over the enumerated states x_k. */
const posteriorLogits = (
  fn: string,
  dist: ExactDistribution,
  alpha: number,
  y: tf.Tensor,
): { logits: tf.Tensor; X: tf.Tensor } => {
  if (y.rank !== 2 || y.shape[1] !== dist.d) {
    throw new ShapeError(`${fn}: 'y' must have shape [B, ${dist.d}], got [${y.shape.join(', ')}]`);
  }
  const X = enumerateStates(dist.d);
  const lp = tf.tensor1d(Float32Array.from(dist.logProbs));
  return { logits: tf.add(tf.mul(tf.matMul(y, X, false, true), alpha), lp), X };
};

/**
 * The exact noisy log-density of the binary-flip model for an enumerable p (Bach & Saremi 2025):
 * log q(y) = log Σ_x p(x) e^{α xᵀy} − d log(2cosh α), normalized on {−1, 1}^d and smooth on R^d, so
 * `inputGrad` of it is the exact score. Cost O(2^d d) per row; for d ≤ 16 or so. Returns a
 * {@link LogProbFn} y [B, d] → [B]; tensors it returns are the caller's.
 */
export function noisyLogProb(dist: ExactDistribution, alpha: number): LogProbFn {
  const fn = 'noisyLogProb';
  checkDist(fn, dist);
  assertPositive(fn, 'alpha', alpha);
  const logNorm = dist.d * (alpha + Math.log1p(Math.exp(-2 * alpha)));
  return (y) =>
    tf.tidy(() => {
      const { logits } = posteriorLogits(fn, dist, alpha, y);
      return tf.sub(logSumExp(logits, 1), logNorm);
    });
}

/**
 * The exact posterior mean E[x | y] = Σ_x x p(x) e^{α xᵀy} / Σ_x p(x) e^{α xᵀy} for an enumerable p, which
 * by the binary Tweedie–Miyasawa identity equals ∇log q(y)/α (Bach & Saremi 2025). y [B, d] → [B, d],
 * owned by the caller.
 */
export function posteriorMean(dist: ExactDistribution, alpha: number): Denoiser {
  const fn = 'posteriorMean';
  checkDist(fn, dist);
  assertPositive(fn, 'alpha', alpha);
  return (y) =>
    tf.tidy(() => {
      const { logits, X } = posteriorLogits(fn, dist, alpha, y);
      const w = tf.exp(tf.sub(logits, logSumExp(logits, 1, true)));
      return tf.matMul(w, X);
    });
}

/**
 * The exact noisy score s(y) = ∇log q(y) = α E[x | y] of the binary-flip model for an enumerable p,
 * y [B, d] → [B, d] (caller owns). Equal to `inputGrad(noisyLogProb(dist, alpha))` without autodiff.
 */
export function noisyScore(dist: ExactDistribution, alpha: number): ScoreFn {
  const mean = posteriorMean(dist, alpha);
  return (y) => tf.tidy(() => tf.mul(mean(y), alpha));
}

/**
 * The Bayes denoiser for the Hamming loss under binary-flip noise (Bach & Saremi 2025):
 * x̂(y) = sign(E[x | y]) = sign(s(y)/α) for a score s = ∇log q. Ties (s_i(y) = 0) resolve to +1, so
 * x̂ ∈ {−1, 1}^d. y [B, d] → [B, d] float32, owned by the caller.
 */
export function binaryDenoiser(score: ScoreFn, alpha: number): Denoiser {
  if (typeof score !== 'function')
    throw new ValueError(`binaryDenoiser: 'score' must be a function, got ${typeof score}`);
  assertPositive('binaryDenoiser', 'alpha', alpha);
  return (y) =>
    tf.tidy(() => {
      const s = score(y);
      if (s.rank !== y.rank || s.shape.some((v, i) => v !== y.shape[i])) {
        throw new ShapeError(
          `binaryDenoiser: 'score' must return the shape of y [${y.shape.join(', ')}], got [${s.shape.join(', ')}]`,
        );
      }
      return tf.where(tf.greaterEqual(s, 0), tf.onesLike(s), tf.fill(s.shape, -1));
    });
}

/** Options of {@link binaryWalkJump}. */
export interface BinaryWalkJumpOptions<S extends DiscreteState> {
  /** Key for the whole run; split once per step. */
  readonly key: Key;
  /** A kernel already built for the noisy target q (e.g. `dmala(noisyLogProb(p, α))`, `twoStageDiscreteLangevin(s, {eta})`). */
  readonly kernel: DiscreteKernel<S>;
  /** The noisy score s = ∇log q used for the jumps x̂ = sign(s(y)/α). */
  readonly score: ScoreFn;
  /** The noise level α > 0 of the binary-flip model. */
  readonly alpha: number;
  /** Initial noisy states y₀ [C, d] in {−1, 1}^d (not disposed). */
  readonly init: tf.Tensor;
  /** Number of walk steps, ≥ 1. */
  readonly steps: number;
  /** Jump every `every` steps (default 1); samples are taken after steps every, 2·every, … */
  readonly every?: number;
  /**
   * Called with each jump x̂ [C, d], its step number and the noisy state y [C, d] it was jumped from (the
   * "chain of noisy digits" of 003); both tensors are valid only during the call (copy them to keep them).
   */
  readonly onSample?: (x: tf.Tensor, step: number, noisy: tf.Tensor) => void;
}

/** Result of {@link binaryWalkJump}; the caller owns the tensors. */
export interface BinaryWalkJumpResult {
  /** The jumps x̂ [S, C, d], S = ⌊steps / every⌋. */
  readonly samples: tf.Tensor;
  /** The last noisy state y [C, d]. */
  readonly noisy: tf.Tensor;
  /** Mean acceptance and mean flips per chain per step over the run. */
  readonly meanAcceptance: number;
  readonly meanFlips: number;
}

/**
 * Discrete walk-jump sampling (Bach & Saremi 2025; the binary analogue of Saremi & Hyvärinen 2019, Sec. 6):
 * walk — run `kernel` on the noisy density q(y) ∝ Σ_x p(x) e^{α xᵀy}; jump — every `every` steps denoise with
 * x̂ = sign(E[x | y]) = sign(s(y)/α) ({@link binaryDenoiser}). Chains [C, d]; every intermediate state is
 * disposed as the chain moves, so memory stays flat apart from the collected samples.
 */
export function binaryWalkJump<S extends DiscreteState>(opts: BinaryWalkJumpOptions<S>): BinaryWalkJumpResult {
  const fn = 'binaryWalkJump';
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options are required`);
  assertPositive(fn, 'alpha', opts.alpha);
  assertInteger(fn, 'steps', opts.steps, 1);
  const every = opts.every ?? 1;
  assertInteger(fn, 'every', every, 1);
  if (opts.kernel === null || typeof opts.kernel !== 'object' || typeof opts.kernel.step !== 'function') {
    throw new ValueError(`${fn}: 'kernel' must be { init, step }, got ${typeof opts.kernel}`);
  }
  const denoise = binaryDenoiser(opts.score, opts.alpha);
  const keys = split(opts.key, opts.steps);
  let state = opts.kernel.init(opts.init);
  const samples: tf.Tensor[] = [];
  let acc = tf.scalar(0);
  let flips = tf.scalar(0);
  try {
    for (let t = 0; t < opts.steps; t++) {
      const [next, info] = opts.kernel.step(keys[t]!, state);
      tf.dispose(state as unknown as tf.TensorContainer);
      state = next;
      const [a2, f2] = tf.tidy(() => [tf.add(acc, tf.mean(info.acceptance)), tf.add(flips, tf.mean(info.flips))]);
      tf.dispose([acc, flips]);
      tf.dispose(info as unknown as tf.TensorContainer);
      acc = a2!;
      flips = f2!;
      if ((t + 1) % every === 0) {
        const x = denoise(state.position);
        if (opts.onSample) opts.onSample(x, t + 1, state.position);
        samples.push(x);
      }
    }
    const meanAcceptance = acc.dataSync()[0]! / opts.steps;
    const meanFlips = flips.dataSync()[0]! / opts.steps;
    const noisy = tf.clone(state.position);
    const C = opts.init.shape[0]!;
    const d = opts.init.shape[1]!;
    const stacked = samples.length > 0 ? tf.stack(samples) : tf.zeros([0, C, d]);
    return { samples: stacked, noisy, meanAcceptance, meanFlips };
  } finally {
    tf.dispose(samples);
    tf.dispose([acc, flips]);
    tf.dispose(state as unknown as tf.TensorContainer);
  }
}
