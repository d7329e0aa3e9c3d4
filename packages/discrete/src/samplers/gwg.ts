import * as tf from '@tensorflow/tfjs-core';
import { categorical, type Key, logSumExp, split } from '@walkjump/tensor';
import { assertOutShape, initLogProb, resolveTarget, tidyStep } from '../internal/validate.ts';
import { acceptGradProposal } from './accept.ts';
import type { DiscreteTarget, LogProbFn } from '../targets/types.ts';
import type { DiscreteInfo, DiscreteKernel, GradState } from './types.ts';

/** Log-probabilities log q(i | y) of the GWG site proposal, [C, d]: softmax of d̃(y)/2 = −y ∘ ∇f(y). */
const siteLogits = (y: tf.Tensor, g: tf.Tensor): tf.Tensor => {
  const l = tf.neg(tf.mul(y, g));
  return tf.sub(l, logSumExp(l, 1, true));
};

/**
 * Gibbs-with-gradients (Grathwohl et al. 2021, Algorithm 1) on {−1, 1}^d. The first-order estimate of the
 * change of f when site i flips is d̃_i(y) = −2 y_i ∇f(y)_i; a site is proposed from q(i | y) = softmax(d̃(y)/2)
 * and the flip accepted with the Metropolis–Hastings probability
 * min(1, exp(f(y') − f(y)) q(i | y') / q(i | y)). Exact. One f and one ∇f evaluation on [C, d] per step.
 * Chains [C, d]; the returned state and info are owned by the caller.
 */
export function gibbsWithGradients(target: DiscreteTarget | LogProbFn): DiscreteKernel<GradState> {
  const fn = 'gibbsWithGradients';
  const { logProb, grad } = resolveTarget(fn, target);
  return {
    init: (position) => {
      const s = initLogProb(fn, logProb, position);
      try {
        const g = tf.tidy(() => grad(s.position));
        assertOutShape(fn, "the target's grad", g, s.position.shape);
        return { ...s, grad: g };
      } catch (e) {
        tf.dispose(s);
        throw e;
      }
    },
    step: (k: Key, state: GradState): [GradState, DiscreteInfo] =>
      tidyStep((): [GradState, DiscreteInfo] => {
        const d = state.position.shape[1]!;
        const [k1, k2] = split(k, 2) as [Key, Key];
        const lq = siteLogits(state.position, state.grad);
        const site = categorical(k1, lq);
        const mask = tf.oneHot(site, d, 1, 0, 'float32');
        const yProp = tf.mul(state.position, tf.sub(1, tf.mul(mask, 2)));
        const fProp = logProb(yProp);
        const gProp = grad(yProp);
        const lqRev = siteLogits(yProp, gProp);
        const logRatio = tf.addN([
          tf.sub(fProp, state.logProb),
          tf.sum(tf.mul(lqRev, mask), 1),
          tf.neg(tf.sum(tf.mul(lq, mask), 1)),
        ]);
        return acceptGradProposal(k2, state, logRatio, yProp, fProp, gProp);
      }),
  };
}
