import * as tf from '@tensorflow/tfjs-core';
import { categorical, type Key, split, uniform, ValueError } from '@walkjump/tensor';
import { initLogProb, resolveTarget, oneHotFloat, tidyStep } from '../internal/validate.ts';
import type { DiscreteTarget, LogProbFn } from '../targets/types.ts';
import type { DiscreteInfo, DiscreteKernel, LogProbState } from './types.ts';

/** Options of {@link gibbs}. */
export interface GibbsOptions {
  /** `'systematic'` (default): sites 0, …, d−1 in order; `'random'`: d sites drawn uniformly, independently per chain. */
  readonly scan?: 'systematic' | 'random';
}

/**
 * Single-site Gibbs sampler (heat bath) for p(y) ∝ exp f(y) on {−1, 1}^d. Each update picks a site i,
 * evaluates f at the state with y_i flipped (f at the current state is cached), and sets the site from its
 * exact conditional: it flips with probability σ(f(y^{(i)}) − f(y)). One `step` is one sweep of d updates
 * (systematic or random scan), i.e. d evaluations of f on [C, d]. Exact: p is stationary. Chains [C, d];
 * the returned state and info are owned by the caller.
 */
export function gibbs(target: DiscreteTarget | LogProbFn, opts: GibbsOptions = {}): DiscreteKernel<LogProbState> {
  const fn = 'gibbs';
  const { logProb } = resolveTarget(fn, target);
  const scan = opts.scan ?? 'systematic';
  if (scan !== 'systematic' && scan !== 'random')
    throw new ValueError(`${fn}: 'scan' must be 'systematic' or 'random', got ${String(scan)}`);
  return {
    init: (position) => initLogProb(fn, logProb, position),
    step: (k: Key, state: LogProbState): [LogProbState, DiscreteInfo] =>
      tidyStep((): [LogProbState, DiscreteInfo] => {
        const [C, d] = state.position.shape as [number, number];
        const keys = split(k, 2 * d);
        let y = state.position;
        let f = state.logProb;
        let acc: tf.Tensor = tf.zeros([C]);
        for (let t = 0; t < d; t++) {
          const site = scan === 'systematic' ? tf.fill([C], t, 'int32') : categorical(keys[2 * t]!, tf.zeros([C, d]));
          const mask = oneHotFloat(site, d);
          const yFlip = tf.mul(y, tf.sub(1, tf.mul(mask, 2)));
          const fFlip = logProb(yFlip);
          const pFlip = tf.sigmoid(tf.sub(fFlip, f));
          const take = tf.less(uniform(keys[2 * t + 1]!, [C]), pFlip);
          y = tf.where(tf.expandDims(take, 1), yFlip, y);
          f = tf.where(take, fFlip, f);
          acc = tf.add(acc, tf.where(tf.isNaN(pFlip), tf.zerosLike(pFlip), pFlip));
        }
        const flips = tf.sum(tf.cast(tf.notEqual(y, state.position), 'float32'), 1);
        return [
          { position: y, logProb: f },
          { acceptance: tf.div(acc, d), flips },
        ];
      }),
  };
}
