import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@walkjump/tensor';
import { showShape } from '../core/network.ts';

/** A (time-/noise-conditioned) vector field on inputs [B, ...]: s(y, t) of the same shape as y. */
export type VectorField = (y: tf.Tensor, t?: tf.Tensor | number) => tf.Tensor;

/** Options of {@link energyFromScore}. */
export interface EnergyFromScoreOptions {
  /**
   * What `field` returns: `'score'` (default; walkjump's `ScoreFn` convention s ≈ ∇ log p = −∇E,
   * giving E = −½⟨y, s⟩) or `'energyGradient'` (004's convention s_θ ≈ ∇_y U, giving U = ½⟨y, s⟩).
   */
  readonly field?: 'score' | 'energyGradient';
}

/**
 * An energy from a score network (Guth, Kadkhodaie & Simoncelli, 004: "Define U_θ(y, t) =
 * ½⟨y, s_θ(y, t)⟩ … OK if s_θ is conservative and homogeneous"), per sample, shape [B]:
 * U(y, t) = ½⟨y, s(y, t)⟩ for `field: 'energyGradient'`, and E(y, t) = −½⟨y, s(y, t)⟩ for a score
 * s ≈ ∇ log p (the default), so that −∇E = s.
 *
 * When it is a true energy: if s = ∇V is conservative and positively homogeneous of degree 1
 * (s(λy) = λ s(y), e.g. a bias-free linear map with symmetric matrix, or the gradient of a degree-2
 * homogeneous potential), Euler's theorem gives ⟨y, ∇V(y)⟩ = 2V(y), so ∇_y ½⟨y, s(y)⟩ = s(y) exactly.
 * Otherwise ∇U = ½(s + J_sᵀ y) ≠ s in general: networks with biases, or with nonlinearities that are
 * not homogeneous (swish, softplus, tanh, GELU…), or any non-conservative field (J_s not
 * symmetric) give an energy whose gradient is not the network's output. That energy is still a
 * valid parametrization to train directly (004 trains U this way by dual score matching, so that
 * ∇U, not s, is what is fit); only the identity ∇U = s is lost. Twice differentiable when s is.
 */
export function energyFromScore(
  field: VectorField,
  opts: EnergyFromScoreOptions = {},
): (y: tf.Tensor, t?: tf.Tensor | number) => tf.Tensor {
  if (typeof field !== 'function')
    throw new ValueError(`energyFromScore: 'field' must be a function (y, t?) => s(y, t), got ${typeof field}`);
  const kind = opts.field ?? 'score';
  if (kind !== 'score' && kind !== 'energyGradient') {
    throw new ValueError(`energyFromScore: 'field' must be 'score' or 'energyGradient', got ${String(kind)}`);
  }
  const c = kind === 'score' ? -0.5 : 0.5;
  return (y, t) => {
    if (!(y instanceof tf.Tensor) || y.rank < 2) {
      throw new ShapeError(
        `energyFromScore: input 'y' must be a batch [B, ...], got ${y instanceof tf.Tensor ? showShape(y.shape) : typeof y}`,
      );
    }
    return tf.tidy(() => {
      const s = field(y, t);
      if (s.rank !== y.rank || s.shape.some((d, i) => d !== y.shape[i])) {
        throw new ShapeError(
          `energyFromScore: the field must return the input's shape ${showShape(y.shape)}, got ${showShape(s.shape)}`,
        );
      }
      const B = y.shape[0]!;
      return tf.mul(tf.sum(tf.reshape(tf.mul(y, s), [B, -1]), 1), c);
    });
  };
}
