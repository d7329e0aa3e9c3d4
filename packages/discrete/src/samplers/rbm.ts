import * as tf from '@tensorflow/tfjs-core';
import { type Key, ShapeError, split, uniform, ValueError } from '@walkjump/tensor';
import { assertSpins, hamming, ownCopy, tidyStep } from '../internal/validate.ts';
import { type RbmParams, rbm } from '../targets/models.ts';
import type { DiscreteInfo, DiscreteKernel, DiscreteState } from './types.ts';

/**
 * State of {@link rbmBlockedGibbs}: visible units `position` [C, d] and hidden units `hidden` [C, m], both in
 * {−1, 1} and owned by the state. After a `step`, (position, hidden) is one joint draw of the chain on (v, h).
 */
export interface RbmGibbsState extends DiscreteState {
  /** Hidden units h [C, m] in {−1, 1}, drawn from p(h | v) at the last step (at `init`: sign(c + Wᵀv)). */
  readonly hidden: tf.Tensor;
}

/** Spins from Bernoulli draws: +1 where u < σ(2a), −1 elsewhere, i.e. P(s = +1) = σ(2a) = e^a / (e^a + e^{−a}). */
const spinsWithLogit = (k: Key, a: tf.Tensor): tf.Tensor =>
  tf.sub(tf.mul(tf.cast(tf.less(uniform(k, a.shape), tf.sigmoid(tf.mul(a, 2))), 'float32'), 2), 1);

/**
 * Blocked (alternating) Gibbs sampler for a restricted Boltzmann machine — the standard RBM sampler
 * (Hinton 2002, Sec. 3; Fischer & Igel 2012, Sec. 4.1 and eq. 19–20 for {0, 1} units) — written for the
 * ±1 units and the energy of {@link rbm}: p(v, h) ∝ exp(bᵀv + cᵀh + vᵀWh), v ∈ {−1, 1}^d, h ∈ {−1, 1}^m,
 * W d×m. Given v the hidden units are independent, and so are the visible units given h; for a ±1 unit with
 * local field a the conditional is e^{a s}/(e^a + e^{−a}), so
 *
 *   P(h_j = +1 | v) = σ(2(c_j + (Wᵀv)_j)),   P(v_i = +1 | h) = σ(2(b_i + (Wh)_i))
 *
 * (the factor 2 is what separates these from the {0, 1} formulas σ(c + Wᵀv), σ(b + Wh)). One `step` draws
 * h ~ p(h | v) and then v ~ p(v | h): two [C, d]×[d, m] products, all C·(d + m) units updated in parallel.
 * Exact: the joint p(v, h) is stationary, and the visible chain is an exact chain for the marginal f(v) of
 * {@link rbm}. Since each step redraws h from v first, the hidden state `init` stores (the most likely h
 * given v, sign(c + Wᵀv) with ties → +1) never influences the chain; it is there so the state always holds a
 * (v, h) pair. `params` are {@link RbmParams} or a model returned by {@link rbm}; they are validated (and
 * copied) here. `init` checks positions [C, d] in {−1, 1}. Info: `acceptance` is 1 (no correction),
 * `flips` the Hamming distance moved by the visible units. The returned state and info are owned by the caller.
 */
export function rbmBlockedGibbs(params: RbmParams): DiscreteKernel<RbmGibbsState> {
  const fn = 'rbmBlockedGibbs';
  if (params === null || typeof params !== 'object')
    throw new ValueError(`${fn}: 'params' must be { W, b, c } or an rbm(...) model, got ${String(params)}`);
  const model = rbm(params);
  const { d, m, W, b, c } = model;
  const hiddenField = (v: tf.Tensor): tf.Tensor => tf.add(tf.matMul(v, tf.tensor2d(W, [d, m])), tf.tensor1d(c));
  const visibleField = (h: tf.Tensor): tf.Tensor =>
    tf.add(tf.matMul(h, tf.tensor2d(W, [d, m]), false, true), tf.tensor1d(b));
  return {
    init: (position) => {
      assertSpins(fn, 'position', position);
      if (position.shape[1] !== d)
        throw new ShapeError(`${fn}: 'position' must have shape [C, ${d}], got [${position.shape.join(', ')}]`);
      const pos = ownCopy(position);
      const hidden = tf.tidy(() => {
        const a = hiddenField(pos);
        return tf.where(tf.greaterEqual(a, 0), tf.onesLike(a), tf.neg(tf.onesLike(a)));
      });
      return { position: pos, hidden };
    },
    step: (k: Key, state: RbmGibbsState): [RbmGibbsState, DiscreteInfo] => {
      const { position, hidden } = state;
      if (position.rank !== 2 || position.shape[1] !== d)
        throw new ShapeError(`${fn}: 'state.position' must have shape [C, ${d}], got [${position.shape.join(', ')}]`);
      const C = position.shape[0]!;
      if (!(hidden instanceof tf.Tensor) || hidden.rank !== 2 || hidden.shape[0] !== C || hidden.shape[1] !== m)
        throw new ShapeError(
          `${fn}: 'state.hidden' must have shape [${C}, ${m}], got ${hidden instanceof tf.Tensor ? `[${hidden.shape.join(', ')}]` : typeof hidden}`,
        );
      return tidyStep((): [RbmGibbsState, DiscreteInfo] => {
        const [kh, kv] = split(k, 2) as [Key, Key];
        const h = spinsWithLogit(kh, hiddenField(position));
        const v = spinsWithLogit(kv, visibleField(h));
        return [
          { position: v, hidden: h },
          { acceptance: tf.ones([C]), flips: hamming(v, position) },
        ];
      });
    },
  };
}
