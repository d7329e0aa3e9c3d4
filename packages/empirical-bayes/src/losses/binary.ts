import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, type Key, type ScoreFn, softplus } from '@walkjump/tensor';
import { binaryFlipNoise } from '../estimators/binary.ts';
import { checkBatch, checkOpts, checkOutShape } from '../internal/checks.ts';

/** Half-logits η(y) of the binary posterior: P(x_i = ±1 | y) = σ(±2η_i(y)), E[x_i | y] = tanh η_i. */
export type BinaryLogitFn = (y: tf.Tensor) => tf.Tensor;

/**
 * The score of the binary-flip model from half-logits (Bach's slides): ∇log q(y) = α E[x | y] =
 * α tanh(η(y)), so that ‖s‖_∞ ≤ α as the discrete Langevin samplers assume. The caller owns each result.
 */
export function binaryScoreFromLogits(logits: BinaryLogitFn, alpha: number): ScoreFn {
  assertPositive('binaryScoreFromLogits', 'alpha', alpha);
  return (y) => tf.tidy(() => tf.mul(tf.tanh(logits(y)), alpha));
}

/** Options of {@link binaryDenoisingLoss}. */
export interface BinaryDenoisingLossOptions {
  /** Flip parameter α > 0: P(ε_i = ±1) = σ(±2α). */
  readonly alpha: number;
}

/**
 * Cross-entropy score learning for the binary-flip model (Bach & Saremi 2025, in Bach's slides), per
 * sample: y = x ∘ ε drawn from `key` (see {@link binaryFlipNoise}), and
 * ℓ_b = −Σ_i log P_θ(x_i | y) = Σ_i softplus(−2 x_i η_i(y)), the cross-entropy of the coordinate
 * posteriors P_θ(x_i = ±1 | y) = σ(±2η_i). It is minimized by η = atanh E[x | y], i.e. by the true
 * score α tanh η (see {@link binaryScoreFromLogits}). `x` is [B, ...] of ±1; returns [B].
 */
export function binaryDenoisingLoss(
  key: Key,
  logits: BinaryLogitFn,
  x: tf.Tensor,
  opts: BinaryDenoisingLossOptions,
): tf.Tensor {
  const fn = 'binaryDenoisingLoss';
  checkOpts(fn, opts, '{ alpha }');
  assertPositive(fn, 'alpha', opts.alpha);
  const B = checkBatch(fn, 'x', x);
  const y = binaryFlipNoise(key, x, opts.alpha);
  try {
    return tf.tidy(() => {
      const eta = logits(y);
      checkOutShape(fn, 'logits', eta, x.shape);
      const m = tf.mul(tf.mul(x, eta), -2);
      return tf.sum(tf.reshape(softplus(m), [B, -1]), 1);
    });
  } finally {
    y.dispose();
  }
}
