import * as tf from '@tensorflow/tfjs-core';
import { assertPositive } from '../errors/validate.ts';
import { inputGrad } from '../autodiff/autodiff.ts';

/** Per-sample energies: for a batch `y` of shape [B, ...] returns shape [B]; p(y) ∝ e^{−E(y)}. */
export type EnergyFn = (y: tf.Tensor) => tf.Tensor;
/** Score ∇_y log p(y): same shape as `y`. */
export type ScoreFn = (y: tf.Tensor) => tf.Tensor;
/** A denoiser: an estimate of E[X | Y = y], same shape as `y`. */
export type Denoiser = (y: tf.Tensor) => tf.Tensor;
/** Time- or noise-conditioned energy E(y, t); `t` is a scalar or a [B] tensor. */
export type ConditionedEnergyFn = (y: tf.Tensor, t: tf.Tensor | number) => tf.Tensor;
/** Time- or noise-conditioned score ∇_y log p_t(y). */
export type ConditionedScoreFn = (y: tf.Tensor, t: tf.Tensor | number) => tf.Tensor;
/** Time- or noise-conditioned denoiser E[X | Y_t = y]. */
export type ConditionedDenoiser = (y: tf.Tensor, t: tf.Tensor | number) => tf.Tensor;

/** The score of an energy: s(y) = −∇_y E(y), per sample (E's rows must be independent). */
export function scoreOf(energy: EnergyFn): ScoreFn {
  const g = inputGrad(energy);
  return (y) => tf.tidy(() => tf.neg(g(y)));
}

/** The score of a conditioned energy: s(y, t) = −∇_y E(y, t). */
export function conditionedScoreOf(energy: ConditionedEnergyFn): ConditionedScoreFn {
  return (y, t) => tf.tidy(() => tf.neg(inputGrad((z) => energy(z, t))(y)));
}

/**
 * Robbins/Miyasawa/Tweedie jump x̂(y) = y + σ²∇log p(y) (Saremi & Hyvärinen 2019, eq. 2), the
 * least-squares Bayes estimator of X from Y = X + N(0, σ²I) given the score of Y's density.
 */
export function tweedie(score: ScoreFn, sigma: number): Denoiser {
  assertPositive('tweedie', 'sigma', sigma);
  const s2 = sigma * sigma;
  return (y) => tf.tidy(() => tf.add(y, tf.mul(score(y), s2)));
}

/** The score implied by a denoiser under Gaussian noise σ: ∇log p(y) = (x̂(y) − y)/σ² (eq. 2 inverted). */
export function scoreFromDenoiser(denoiser: Denoiser, sigma: number): ScoreFn {
  assertPositive('scoreFromDenoiser', 'sigma', sigma);
  const s2 = sigma * sigma;
  return (y) => tf.tidy(() => tf.div(tf.sub(denoiser(y), y), s2));
}
