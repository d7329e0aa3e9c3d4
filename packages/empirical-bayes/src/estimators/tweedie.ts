import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, type Denoiser, type EnergyFn, inputGrad, type ScoreFn } from '@walkjump/tensor';

/**
 * The Robbins/Miyasawa/Tweedie jump from a score: x̂(y) = y + σ²∇log p(y) (Saremi & Hyvärinen 2019,
 * eq. 2), the least-squares Bayes estimator of X from Y = X + N(0, σ²I) given the score of Y's
 * density. `score` maps [B, ...] to the same shape; so does the returned denoiser. The caller owns
 * each result. Throws `ValueError` when σ is not a positive number.
 */
export function tweedie(score: ScoreFn, sigma: number): Denoiser {
  assertPositive('tweedie', 'sigma', sigma);
  const s2 = sigma * sigma;
  return (y) => tf.tidy(() => tf.add(y, tf.mul(score(y), s2)));
}

/**
 * The Robbins/Miyasawa/Tweedie jump from an energy: x̂(y) = y − σ²∇_y E(y) (Saremi & Hyvärinen
 * 2019, eq. 2 with −log p(y) = E(y) + const), the least-squares Bayes estimator of X from
 * Y = X + N(0, σ²I). `energy` maps [B, ...] to [B] with independent rows; the returned denoiser maps
 * [B, ...] to the same shape, disposes nothing it was given, and the caller owns its result.
 * Throws `ValueError` when σ is not a positive number.
 */
export function tweedieFromEnergy(energy: EnergyFn, sigma: number): Denoiser {
  assertPositive('tweedieFromEnergy', 'sigma', sigma);
  const s2 = sigma * sigma;
  const g = inputGrad(energy);
  return (y) => tf.tidy(() => tf.sub(y, tf.mul(g(y), s2)));
}
