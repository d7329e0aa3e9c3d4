import * as tf from '@tensorflow/tfjs-core';
import { type Key, uniform } from '@walkjump/tensor';
import { hamming } from '../internal/validate.ts';
import type { DiscreteInfo, GradState } from './types.ts';

/** Metropolis–Hastings acceptance probability min(1, e^{log ratio}), [C]; a NaN ratio (non-finite proposal) gives 0. */
export const mhAcceptance = (logRatio: tf.Tensor): tf.Tensor =>
  tf.where(tf.isNaN(logRatio), tf.zerosLike(logRatio), tf.minimum(tf.exp(logRatio), 1));

/**
 * The Metropolis–Hastings accept/reject of a gradient-cached kernel (GWG, DMALA): each chain takes the proposal
 * (y′, f(y′), ∇f(y′)) with probability min(1, e^{log ratio}), drawn from `k`. Call inside the step's tidy.
 */
export function acceptGradProposal(
  k: Key,
  state: GradState,
  logRatio: tf.Tensor,
  yProp: tf.Tensor,
  fProp: tf.Tensor,
  gProp: tf.Tensor,
): [GradState, DiscreteInfo] {
  const acceptance = mhAcceptance(logRatio);
  const take = tf.less(uniform(k, [state.position.shape[0]!]), acceptance);
  const take2 = tf.expandDims(take, 1);
  const y = tf.where(take2, yProp, state.position);
  return [
    { position: y, logProb: tf.where(take, fProp, state.logProb), grad: tf.where(take2, gProp, state.grad) },
    { acceptance, flips: hamming(y, state.position) },
  ];
}
