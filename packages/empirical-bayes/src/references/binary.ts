import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, type Denoiser, type EnergyFn, type ScoreFn, ShapeError } from '@walkjump/tensor';
import { checkSigns } from '../estimators/binary.ts';
import { checkBatch } from '../internal/checks.ts';

/** The closed-form binary-flip model of {@link binaryFlipMixture}; functions take y [B, d]. */
export interface BinaryFlipMixture {
  /** log q(y) = log Σ_n w_n e^{α c_nᵀy} (up to a constant independent of y), [B]. */
  readonly logQ: EnergyFn;
  /** ∇log q(y) = α E[x | y], [B, d]. */
  readonly score: ScoreFn;
  /** E[x | y] = Σ_n softmax_n(log w_n + α c_nᵀy) c_n, [B, d]. */
  readonly posteriorMean: Denoiser;
}

/**
 * The binary-flip model of Bach & Saremi (2025) (Bach's slides) for a prior p(x) = Σ_n w_n δ(x − c_n)
 * on a finite set of ±1 points: q(y) ∝ Σ_x p(x) e^{α xᵀy} (extended to ℝ^d), with score
 * ∇log q = α E[x | y]. On y ∈ {−1, 1}^d, E[x | y] is the exact posterior mean under flips with
 * P(ε_i = ±1) = σ(±2α). `centres` [N, d] must hold ±1; weights default to uniform. The functions
 * close over `centres` (keep it alive; the caller disposes it).
 */
export function binaryFlipMixture(centres: tf.Tensor, alpha: number, weights?: readonly number[]): BinaryFlipMixture {
  const fn = 'binaryFlipMixture';
  assertPositive(fn, 'alpha', alpha);
  checkBatch(fn, 'centres', centres, 2);
  if (centres.rank !== 2)
    throw new ShapeError(`${fn}: 'centres' must have shape [N, d], got [${centres.shape.join(', ')}]`);
  checkSigns(fn, 'centres', centres);
  const [N, d] = centres.shape as [number, number];
  const w = weights ?? new Array<number>(N).fill(1 / N);
  if (w.length !== N) throw new ShapeError(`${fn}: 'weights' must have ${N} entries, got ${w.length}`);
  w.forEach((v, i) => {
    assertPositive(fn, `weights[${i}]`, v);
  });
  const logW = w.map((v) => Math.log(v));
  const logits = (name: string, y: tf.Tensor): tf.Tensor => {
    checkBatch(`${fn}.${name}`, 'y', y, 2);
    if (y.rank !== 2 || y.shape[1] !== d)
      throw new ShapeError(`${fn}.${name}: 'y' must have shape [B, ${d}], got [${y.shape.join(', ')}]`);
    return tf.add(
      tf.mul(tf.matMul(y as tf.Tensor2D, centres as tf.Tensor2D, false, true), alpha),
      tf.tensor2d(logW, [1, N]),
    );
  };
  const posteriorMean: Denoiser = (y) =>
    tf.tidy(() => {
      const l = logits('posteriorMean', y);
      const e = tf.exp(tf.sub(l, tf.max(l, 1, true)));
      return tf.matMul(tf.div(e, tf.sum(e, 1, true)) as tf.Tensor2D, centres as tf.Tensor2D);
    });
  return {
    logQ: (y) =>
      tf.tidy(() => {
        const l = logits('logQ', y);
        const m = tf.max(l, 1, true);
        return tf.reshape(tf.add(m, tf.log(tf.sum(tf.exp(tf.sub(l, m)), 1, true))), [-1]);
      }),
    score: (y) => tf.tidy(() => tf.mul(posteriorMean(y), alpha)),
    posteriorMean,
  };
}
