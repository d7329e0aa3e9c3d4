import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, type Key, logSigmoid, type ScoreFn, split, uniform, ValueError } from '@walkjump/tensor';
import { assertOutShape, hamming, initField, initLogProb, resolveTarget, tidyStep } from '../internal/validate.ts';
import { acceptGradProposal } from './accept.ts';
import type { DiscreteTarget, LogProbFn } from '../targets/types.ts';
import type { DiscreteInfo, DiscreteKernel, DiscreteState, GradState, ScoreState } from './types.ts';

/** State of {@link dula}: positions and the cached ∇f(position), [C, d]. */
export interface DulaState extends DiscreteState {
  readonly grad: tf.Tensor;
}

/** Options of {@link dula} and {@link dmala}. */
export interface DiscreteLangevinOptions {
  /** α > 0 of Zhang et al. (2022): the proposal's ‖y′ − y‖²/(2α) term; larger α, more flips per step. */
  readonly stepSize: number;
}

/**
 * Per-site flip logits of the factorized proposal q(y′_i | y) ∝ exp(½ g_i (y′_i − y_i) − (y′_i − y_i)²/(2α)):
 * on {−1, 1}, y′_i − y_i ∈ {0, −2y_i}, so log-odds(flip i) = −y_i g_i − 2/α. [C, d].
 */
const flipLogits = (y: tf.Tensor, g: tf.Tensor, alpha: number): tf.Tensor =>
  tf.tidy(() => tf.sub(tf.neg(tf.mul(y, g)), 2 / alpha));

/** Σ_i log q(flip pattern | logits), [C]. */
const logProposal = (logits: tf.Tensor, mask: tf.Tensor): tf.Tensor =>
  tf.sum(tf.add(tf.mul(mask, logSigmoid(logits)), tf.mul(tf.sub(1, mask), logSigmoid(tf.neg(logits)))), 1);

/** Draws independent flips with log-odds `logits`; returns [mask in {0,1}, flipped position]. */
const drawFlips = (k: Key, y: tf.Tensor, logits: tf.Tensor): [tf.Tensor, tf.Tensor] => {
  const mask = tf.cast(tf.less(uniform(k, y.shape), tf.sigmoid(logits)), 'float32');
  return [mask, tf.mul(y, tf.sub(1, tf.mul(mask, 2)))];
};

const checkOpts = (fn: string, opts: DiscreteLangevinOptions): number => {
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { stepSize } are required`);
  assertPositive(fn, 'stepSize', opts.stepSize);
  return opts.stepSize;
};

const initGrad = (fn: string, t: ReturnType<typeof resolveTarget>, position: tf.Tensor): GradState => {
  const s = initLogProb(fn, t.logProb, position);
  try {
    const g = tf.tidy(() => t.grad(s.position));
    assertOutShape(fn, "the target's grad", g, s.position.shape);
    return { ...s, grad: g };
  } catch (e) {
    tf.dispose(s);
    throw e;
  }
};

/**
 * Discrete unadjusted Langevin, DULA (Zhang et al. 2022, Algorithm 1): every site flips independently from
 * q(y′_i | y) ∝ exp(½ ∇f(y)_i (y′_i − y_i) − (y′_i − y_i)²/(2α)), i.e. with probability σ(−y_i ∇f(y)_i − 2/α),
 * with no correction. Biased for α > 0 (the bias vanishes as α → 0; see the README's table). One ∇f
 * evaluation on [C, d] per step (f is evaluated only at `init`, to check its shape; the state caches ∇f only). Chains [C, d]; the
 * returned state and info are owned by the caller; `acceptance` is 1.
 */
export function dula(target: DiscreteTarget | LogProbFn, opts: DiscreteLangevinOptions): DiscreteKernel<DulaState> {
  const fn = 'dula';
  const alpha = checkOpts(fn, opts);
  const t = resolveTarget(fn, target);
  return {
    init: (position) => {
      const { position: p, logProb, grad } = initGrad(fn, t, position);
      logProb.dispose();
      return { position: p, grad };
    },
    step: (k: Key, state: DulaState): [DulaState, DiscreteInfo] =>
      tidyStep((): [DulaState, DiscreteInfo] => {
        const [, y] = drawFlips(k, state.position, flipLogits(state.position, state.grad, alpha));
        return [
          { position: y, grad: t.grad(y) },
          { acceptance: tf.ones([y.shape[0]!]), flips: hamming(y, state.position) },
        ];
      }),
  };
}

/**
 * Discrete Metropolis-adjusted Langevin, DMALA (Zhang et al. 2022, Algorithm 2): the DULA proposal y′ from
 * q(· | y) (independent flips with log-odds −y_i ∇f(y)_i − 2/α), accepted with probability
 * min(1, exp(f(y′) − f(y)) q(y | y′) / q(y′ | y)). Exact for every α > 0. One f and one ∇f evaluation on
 * [C, d] per step. Chains [C, d]; the returned state and info are owned by the caller.
 */
export function dmala(target: DiscreteTarget | LogProbFn, opts: DiscreteLangevinOptions): DiscreteKernel<GradState> {
  const fn = 'dmala';
  const alpha = checkOpts(fn, opts);
  const t = resolveTarget(fn, target);
  return {
    init: (position) => initGrad(fn, t, position),
    step: (k: Key, state: GradState): [GradState, DiscreteInfo] =>
      tidyStep((): [GradState, DiscreteInfo] => {
        const [k1, k2] = split(k, 2) as [Key, Key];
        const fwd = flipLogits(state.position, state.grad, alpha);
        const [mask, yProp] = drawFlips(k1, state.position, fwd);
        const fProp = t.logProb(yProp);
        const gProp = t.grad(yProp);
        const rev = flipLogits(yProp, gProp, alpha);
        const logRatio = tf.addN([
          tf.sub(fProp, state.logProb),
          logProposal(rev, mask),
          tf.neg(logProposal(fwd, mask)),
        ]);
        return acceptGradProposal(k2, state, logRatio, yProp, fProp, gProp);
      }),
  };
}

/** Options of {@link discreteLangevin} and {@link twoStageDiscreteLangevin}. */
export interface ScoreLangevinOptions {
  /** η > 0, the step size: the ‖y′ − y‖²/(2η) term (one-stage) or the coupling e^{yᵀz/η} (two-stage). */
  readonly eta: number;
}

const checkEta = (fn: string, opts: ScoreLangevinOptions): number => {
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { eta } are required`);
  assertPositive(fn, 'eta', opts.eta);
  return opts.eta;
};

const checkScore = (fn: string, score: ScoreFn): void => {
  if (typeof score !== 'function')
    throw new ValueError(`${fn}: 'score' must be a function y [C, d] → [C, d], got ${typeof score}`);
};

/**
 * One-stage discrete Langevin in the form of Bach (slides, after Zhang et al. 2022) for a pmf q known
 * only through its score s = ∇log q extended to R^d: t(y′ | y) ∝ exp(½ s(y)ᵀ(y′ − y) − ‖y′ − y‖²/(2η))
 * ∝ exp((½ s(y) + y/η)ᵀ y′), a product over sites: y′_i = −y_i with probability σ(−y_i s_i(y) − 2/η).
 * The same chain as {@link dula} with α = η, driven by a score instead of a log-probability; unadjusted
 * (biased for η > 0). One score evaluation on [C, d] per step. Chains [C, d]; caller owns outputs.
 */
export function discreteLangevin(score: ScoreFn, opts: ScoreLangevinOptions): DiscreteKernel<ScoreState> {
  const fn = 'discreteLangevin';
  checkScore(fn, score);
  const eta = checkEta(fn, opts);
  return {
    init: (position) => {
      const { position: p, field } = initField(fn, "'score'", score, position);
      return { position: p, score: field };
    },
    step: (k: Key, state: ScoreState): [ScoreState, DiscreteInfo] =>
      tidyStep((): [ScoreState, DiscreteInfo] => {
        const [, y] = drawFlips(k, state.position, flipLogits(state.position, state.score, eta));
        return [
          { position: y, score: score(y) },
          { acceptance: tf.ones([y.shape[0]!]), flips: hamming(y, state.position) },
        ];
      }),
  };
}

/**
 * Two-stage discrete Langevin of Bach & Saremi (2025) for a pmf q on {−1, 1}^d known through its score s.
 * It is Gibbs sampling of the joint q(y, z) ∝ q(y) e^{yᵀz/η} on {−1, 1}^d × {−1, 1}^d (whose y-marginal is q,
 * since Σ_z e^{yᵀz/η} = (2cosh(1/η))^d for every y), alternating two factorized conditionals:
 * (1) z | y exactly: z_i = y_i with probability σ(2/η), independently;
 * (2) y | z from the first-order expansion log q(y) ≈ log q(z) + s(z)ᵀ(y − z), so
 *     q(y | z) ≈ ∏_i σ(2 y_i (s_i(z) + z_i/η)), i.e. P(y_i = +1 | z) = σ(2(s_i(z) + z_i/η)).
 * Step (2) is the only approximation (exact when log q is linear); small η keeps z near y (accurate, slow),
 * large η decorrelates (fast, biased). One score evaluation on [C, d] per step, at z. The state holds y only.
 * Chains [C, d]; the returned state and info (acceptance 1, flips = Hamming(y_new, y_old)) are the caller's.
 */
export function twoStageDiscreteLangevin(score: ScoreFn, opts: ScoreLangevinOptions): DiscreteKernel<DiscreteState> {
  const fn = 'twoStageDiscreteLangevin';
  checkScore(fn, score);
  const eta = checkEta(fn, opts);
  return {
    init: (position) => {
      const { position: p, field } = initField(fn, "'score'", score, position);
      field.dispose();
      return { position: p };
    },
    step: (k: Key, state: DiscreteState): [DiscreteState, DiscreteInfo] =>
      tidyStep((): [DiscreteState, DiscreteInfo] => {
        const [k1, k2] = split(k, 2) as [Key, Key];
        const y0 = state.position;
        const keep = tf.less(uniform(k1, y0.shape), 1 / (1 + Math.exp(-2 / eta)));
        const z = tf.where(keep, y0, tf.neg(y0));
        const pPlus = tf.sigmoid(tf.mul(tf.add(score(z), tf.div(z, eta)), 2));
        const y = tf.sub(tf.mul(tf.cast(tf.less(uniform(k2, y0.shape), pPlus), 'float32'), 2), 1);
        return [{ position: y }, { acceptance: tf.ones([y.shape[0]!]), flips: hamming(y, y0) }];
      }),
  };
}
