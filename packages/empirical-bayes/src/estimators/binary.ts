import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, bernoulli, type Denoiser, type Key, type ScoreFn, ValueError } from '@walkjump/tensor';
import { checkBatch, checkOutShape } from '../internal/checks.ts';

/** Throws a ValueError unless every entry of `x` is −1 or +1 (reads `x` back). */
export function checkSigns(fn: string, name: string, x: tf.Tensor): void {
  const v = x.dataSync();
  for (let i = 0; i < v.length; i++) {
    const s = v[i] as number;
    if (s !== 1 && s !== -1) throw new ValueError(`${fn}: '${name}' must hold ±1 entries, got ${s} at flat index ${i}`);
  }
}

/**
 * The binary-flip noise model of Bach & Saremi (2025), in Bach's slides: y = x ∘ ε for x ∈ {−1, 1}^d
 * with independent flips P(ε_i = ±1) = σ(±2α), i.e. p(ε) ∝ e^{α εᵀ1} (α plays the part of an
 * inverse variance). `x` is a float32 batch [B, ...] of ±1 entries; ε is drawn from `key`. Returns y
 * (same shape, ±1); the caller owns it. Throws for α ≤ 0 or entries other than ±1.
 */
export function binaryFlipNoise(key: Key, x: tf.Tensor, alpha: number): tf.Tensor {
  const fn = 'binaryFlipNoise';
  assertPositive(fn, 'alpha', alpha);
  checkBatch(fn, 'x', x);
  checkSigns(fn, 'x', x);
  const keep = bernoulli(key, 1 / (1 + Math.exp(-2 * alpha)), x.shape);
  try {
    return tf.tidy(() => tf.mul(x, tf.sub(tf.mul(tf.cast(keep, 'float32'), 2), 1)));
  } finally {
    keep.dispose();
  }
}

/**
 * The posterior mean under binary flips (Bach's slides): with q(y) ∝ Σ_x p(x) e^{α xᵀy} extended to
 * ℝ^d, ∇log q(y) = α E[x | y], so E[x | y] = s(y)/α. `score` maps [B, ...] to the same shape; so does
 * the returned function. The caller owns each result.
 */
export function binaryFlipPosteriorMean(score: ScoreFn, alpha: number): Denoiser {
  const fn = 'binaryFlipPosteriorMean';
  assertPositive(fn, 'alpha', alpha);
  return (y) =>
    tf.tidy(() => {
      const s = score(y);
      checkOutShape(fn, 'score', s, y.shape);
      return tf.div(s, alpha);
    });
}

/**
 * The optimal per-coordinate denoiser under binary flips (Bach's slides): x̂(y) = sign(E[x | y]) =
 * sign(∇log q(y)/α), the coordinate-wise MAP (minimum bit-error) estimate; ties (a zero score) go to
 * +1. `score` maps [B, ...] to the same shape; the returned denoiser returns ±1 of that shape.
 */
export function binaryFlipDenoiser(score: ScoreFn, alpha: number): Denoiser {
  const fn = 'binaryFlipDenoiser';
  assertPositive(fn, 'alpha', alpha);
  return (y) =>
    tf.tidy(() => {
      const s = score(y);
      checkOutShape(fn, 'score', s, y.shape);
      return tf.where(tf.greaterEqual(s, 0), tf.onesLike(s), tf.fill(s.shape, -1));
    });
}
