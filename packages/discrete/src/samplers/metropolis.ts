import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, categorical, type Key, split, uniform, ValueError } from '@walkjump/tensor';
import { hamming, initLogProb, resolveTarget, tidyStep, uniformArray } from '../internal/validate.ts';
import { mhAcceptance } from './accept.ts';
import type { DiscreteTarget, LogProbFn } from '../targets/types.ts';
import type { DiscreteInfo, DiscreteKernel, LogProbState } from './types.ts';

/** Options of {@link metropolis}. */
export interface MetropolisOptions {
  /**
   * Hamming-ball radius r ≥ 1 (default 1: random single flips). A proposal draws m uniformly in {1, …, r},
   * then flips m distinct sites chosen uniformly; the proposal is symmetric.
   */
  readonly radius?: number;
}

/**
 * Random-walk Metropolis on {−1, 1}^d (Metropolis et al. 1953): propose flipping m ∈ {1..r} uniformly
 * chosen distinct sites, accept with probability min(1, exp(f(y') − f(y))). Exact. One f-evaluation on
 * [C, d] per step. Chains [C, d]; the returned state and info are owned by the caller.
 */
export function metropolis(
  target: DiscreteTarget | LogProbFn,
  opts: MetropolisOptions = {},
): DiscreteKernel<LogProbState> {
  const fn = 'metropolis';
  const { logProb } = resolveTarget(fn, target);
  const radius = opts.radius ?? 1;
  assertInteger(fn, 'radius', radius, 1);
  return {
    init: (position) => {
      const d = position.shape[1];
      if (d !== undefined && radius > d) {
        throw new ValueError(`${fn}: 'radius' must be <= d = ${d}, got ${radius}`);
      }
      return initLogProb(fn, logProb, position);
    },
    step: (k: Key, state: LogProbState): [LogProbState, DiscreteInfo] =>
      tidyStep((): [LogProbState, DiscreteInfo] => {
        const [C, d] = state.position.shape as [number, number];
        const [k1, k2, k3] = split(k, 3) as [Key, Key, Key];
        let mask: tf.Tensor;
        if (radius === 1) {
          // one uniformly chosen site per chain, drawn on the host
          const u = uniformArray(k1, C);
          const v = new Float32Array(C * d);
          for (let c = 0; c < C; c++) v[c * d + Math.min(d - 1, Math.floor(u[c]! * d))] = 1;
          mask = tf.tensor2d(v, [C, d]);
        } else {
          const u = uniform(k1, [C, d]);
          const top = tf.topk(u, radius).values; // [C, r], descending
          const m = categorical(k2, tf.zeros([C, radius])); // m − 1
          const thr = tf.sum(tf.mul(top, tf.oneHot(m, radius, 1, 0, 'float32')), 1, true);
          mask = tf.cast(tf.greaterEqual(u, thr), 'float32');
        }
        const yProp = tf.mul(state.position, tf.sub(1, tf.mul(mask, 2)));
        const fProp = logProb(yProp);
        const logRatio = tf.sub(fProp, state.logProb);
        const acceptance = mhAcceptance(logRatio);
        const take = tf.less(uniform(k3, [C]), acceptance);
        const y = tf.where(tf.expandDims(take, 1), yProp, state.position);
        const f = tf.where(take, fProp, state.logProb);
        return [
          { position: y, logProb: f },
          { acceptance, flips: hamming(y, state.position) },
        ];
      }),
  };
}
