import * as tf from '@tensorflow/tfjs-core';
import { type Key, split, ValueError } from '@walkjump/tensor';
import { hamming, initLogProb, resolveTarget, tidyStep, uniformArray } from '../internal/validate.ts';
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
        const [kSite, kAcc] = split(k, 2) as [Key, Key];
        // Randomness for the whole sweep drawn once on the host: the sites (random scan) and the uniforms.
        const sites = scan === 'random' ? uniformArray(kSite, d * C) : undefined;
        const u = Float32Array.from(uniformArray(kAcc, d * C));
        let y = state.position;
        let f = state.logProb;
        let acc: tf.Tensor = tf.zeros([C]);
        for (let t = 0; t < d; t++) {
          // sign pattern: −1 at the updated site, +1 elsewhere ([d] shared by all chains, or [C, d])
          let sign: tf.Tensor;
          if (sites === undefined) {
            const v = new Float32Array(d).fill(1);
            v[t] = -1;
            sign = tf.tensor1d(v);
          } else {
            const v = new Float32Array(C * d).fill(1);
            for (let c = 0; c < C; c++) v[c * d + Math.min(d - 1, Math.floor(sites[t * C + c]! * d))] = -1;
            sign = tf.tensor2d(v, [C, d]);
          }
          const yFlip = tf.mul(y, sign);
          const fFlip = logProb(yFlip);
          const pFlip = tf.sigmoid(tf.sub(fFlip, f));
          const take = tf.less(tf.tensor1d(u.subarray(t * C, (t + 1) * C), 'float32'), pFlip);
          y = tf.where(tf.expandDims(take, 1), yFlip, y);
          f = tf.where(take, fFlip, f);
          acc = tf.add(acc, pFlip);
        }
        const flips = hamming(y, state.position);
        const mean = tf.div(acc, d);
        return [
          { position: y, logProb: f },
          // a NaN flip probability (non-finite f) was a rejection; report the chain's sweep as acceptance 0
          { acceptance: tf.where(tf.isNaN(mean), tf.zerosLike(mean), mean), flips },
        ];
      }),
  };
}
