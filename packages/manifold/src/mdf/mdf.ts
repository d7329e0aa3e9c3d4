import * as tf from '@tensorflow/tfjs-core';
import { type Key, ShapeError, ValueError, assertNonNegative, normal } from '@walkjump/tensor';
import { vjpOnly } from '../internal/ad.ts';
import type { ConstraintFn } from '../types.ts';

/** Options of {@link mdfLoss}. @public */
export interface MdfLossOptions {
  /** Weight α of the negative-sample term (default 1). */
  readonly alpha?: number;
  /** Weight β of the rank regularizer (default 1). */
  readonly beta?: number;
  /** Minimum singular value η of J_F (default 1). */
  readonly eta?: number;
  /**
   * `'min'` (default): (η − ‖vᵀJ_F‖)₊², bounding the smallest singular value below by η (eq. 8).
   * `'both'`: (η − ‖vᵀJ_F‖)², also bounding the largest by η (the paper's high-dimensional variant).
   */
  readonly rank?: 'min' | 'both';
  /**
   * Energy of the negative term: `'norm'` (default) −α‖F(x')‖ as in eq. 8, or `'squared'` −α‖F(x')‖²,
   * the variant of App. B.2 (image MDFs: data term unsquared, negatives squared).
   */
  readonly negative?: 'norm' | 'squared';
  /**
   * Magnitude regularization γ·E(x')² of the negatives' energy E = ‖F(x')‖ or ‖F(x')‖² (App. B.2 uses
   * 0.1 with the squared variant); keeps −α‖F(x')‖ from growing without bound. Default 0.
   */
  readonly negativeRegularization?: number;
}

/**
 * The manifold-defining-function loss of Ross et al. (2023), eq. 8, as a mean over the batches:
 * E_x‖F(x)‖ − α E_{x'}‖F(x')‖ + β E_{x,v}(η − ‖vᵀJ_F(x)‖)₊², with data `x` `[B, n]`, negative samples
 * `negatives` `[B', n]` (e.g. Langevin samples of ‖F‖ drawn outside the differentiated function, so constants, as sg[·] in eq. 8) and
 * v ~ Unif(S^{k−1}) drawn from `key`, one per data point. Differentiable in the parameters F closes
 * over (the vᵀJ_F term is a vjp, so this is a second-order gradient). Returns a scalar; the caller
 * owns it. Options give the two-sided singular-value bound (`rank: 'both'`) and the squared-norm
 * negatives of App. B.2. Negatives come from {@link ebmLangevin} on ‖F‖ with a {@link ReplayBuffer};
 * {@link fitMdf} runs the whole training loop.
 * @public
 */
export function mdfLoss(
  key: Key,
  constraintFn: ConstraintFn,
  x: tf.Tensor,
  negatives: tf.Tensor,
  opts: MdfLossOptions = {},
): tf.Scalar {
  const fn = 'mdfLoss';
  const alpha = opts.alpha ?? 1;
  const beta = opts.beta ?? 1;
  const eta = opts.eta ?? 1;
  const negKind = opts.negative ?? 'norm';
  const gamma = opts.negativeRegularization ?? 0;
  if (negKind !== 'norm' && negKind !== 'squared')
    throw new ValueError(`${fn}: 'negative' must be 'norm' or 'squared', got ${String(negKind)}`);
  if (opts.rank !== undefined && opts.rank !== 'min' && opts.rank !== 'both') {
    throw new ValueError(`${fn}: 'rank' must be 'min' or 'both', got ${String(opts.rank)}`);
  }
  assertNonNegative(fn, 'negativeRegularization', gamma);
  assertNonNegative(fn, 'alpha', alpha);
  assertNonNegative(fn, 'beta', beta);
  assertNonNegative(fn, 'eta', eta);
  if (x.rank !== 2 || negatives.rank !== 2 || x.shape[1] !== negatives.shape[1]) {
    throw new ShapeError(
      `${fn}: 'x' and 'negatives' must be [B, n] and [B', n], got [${x.shape.join(', ')}] and [${negatives.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const fx = constraintFn(x);
    if (fx.rank !== 2 || fx.shape[0] !== x.shape[0]) {
      throw new ShapeError(`${fn}: 'constraintFn' must map [B, n] to [B, k], got [${fx.shape.join(', ')}]`);
    }
    const norm = (t: tf.Tensor): tf.Tensor => tf.sqrt(tf.add(tf.sum(tf.square(t), 1), 1e-12));
    const onManifold = tf.mean(norm(fx));
    const fneg = constraintFn(negatives);
    if (fneg.rank !== 2 || fneg.shape[0] !== negatives.shape[0] || fneg.shape[1] !== fx.shape[1]) {
      throw new ShapeError(`${fn}: 'constraintFn' must map [B', n] to [B', k], got [${fneg.shape.join(', ')}]`);
    }
    const eNeg = negKind === 'norm' ? norm(fneg) : tf.sum(tf.square(fneg), 1);
    const negative = tf.mean(eNeg);
    const negReg = tf.mul(gamma, tf.mean(tf.square(eNeg)));
    const [B, k] = fx.shape as [number, number];
    const g = normal(key, [B, k]);
    const v = tf.div(g, tf.sqrt(tf.sum(tf.square(g), 1, true)));
    const vJ = norm(vjpOnly(constraintFn, x, v));
    const gap = tf.sub(eta, vJ);
    const rank = tf.mean(tf.square(opts.rank === 'both' ? gap : tf.relu(gap)));
    return tf.add(tf.add(tf.sub(onManifold, tf.mul(alpha, negative)), tf.mul(beta, rank)), negReg) as tf.Scalar;
  });
}

/**
 * Manifold intersection M₁ ∩ M₂ by concatenating outputs, x ↦ (F₁(x), F₂(x)) (Ross et al. 2023,
 * Sec. 3.1). Caveat: the result is a manifold (and the samplers work) only where the stacked Jacobian
 * keeps full row rank k₁ + k₂, i.e. where M₁ and M₂ meet transversally; tangential contact makes
 * J Jᵀ singular and the solvers report failures there.
 * @public
 */
export function intersection(f1: ConstraintFn, f2: ConstraintFn): ConstraintFn {
  return (x) => tf.tidy(() => tf.concat([f1(x), f2(x)], 1));
}

/**
 * Manifold union M₁ ∪ M₂ by the product x ↦ F₁(x) ⊙ F₂(x) (Ross et al. 2023, Sec. 3.1). Caveats: for
 * k = 1 output the zero set is exactly the union; for k > 1 the elementwise product vanishes
 * wherever each coordinate of F₁ or of F₂ does, a superset of the union. The union is not a manifold
 * where the pieces meet, and there J_F = 0 (the samplers report solver failures); the paper found
 * Langevin dynamics unstable on products and recommends sampling a mixture of the two manifolds.
 * Both functions must have the same number of outputs.
 * @public
 */
export function union(f1: ConstraintFn, f2: ConstraintFn): ConstraintFn {
  return (x) =>
    tf.tidy(() => {
      const a = f1(x);
      const b = f2(x);
      if (a.shape[1] !== b.shape[1]) {
        throw new ShapeError(
          `union: both constraints must have the same outputs k, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
        );
      }
      return tf.mul(a, b);
    });
}
