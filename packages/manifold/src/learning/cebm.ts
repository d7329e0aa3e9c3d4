import * as tf from '@tensorflow/tfjs-core';
import {
  type EnergyFn,
  type Key,
  type Optimizer,
  type Params,
  ShapeError,
  adam,
  assertInteger,
  assertNonNegative,
  assertPositive,
  disposeOptState,
  foldIn,
  split,
} from '@walkjump/tensor';
import { projectToManifold } from '../geometry/geometry.ts';
import { constrainedLangevin } from '../samplers/langevin.ts';
import { disposeConstrainedState } from '../samplers/rattle.ts';
import type { ConstraintFn } from '../types.ts';
import { type LearningResult, type LearningStepEvent, cloneParams } from './fit-mdf.ts';
import { ReplayBuffer, type ReplayBufferOptions, dataBounds, uniformInBox } from './negatives.ts';
import { drawBatch, updateParams } from './train.ts';

/** Options of {@link constrainedEbmLoss}. @public */
export interface ConstrainedEbmLossOptions {
  /** Energy magnitude regularization γ (Du & Mordatch 2019; 0.1–1 in Ross et al. 2023, App. B.1). Default 1. */
  readonly regularization?: number;
}

/**
 * The contrastive-divergence surrogate of Ross et al. (2023), eq. 10: its gradient in ψ is
 * −∇ψ log p_ψ(x) averaged over the data, with the model expectation replaced by negatives x' from
 * the constrained sampler: mean E_ψ(x) − mean E_ψ(x') + γ(mean E_ψ(x)² + mean E_ψ(x')²), the last
 * term the energy magnitude regularizer of Du & Mordatch (2019). `data` `[B, n]` and `negatives`
 * `[B', n]` are constants (not differentiated); returns a scalar the caller owns.
 * @public
 */
export function constrainedEbmLoss(
  energyFn: EnergyFn,
  data: tf.Tensor,
  negatives: tf.Tensor,
  opts: ConstrainedEbmLossOptions = {},
): tf.Scalar {
  const fn = 'constrainedEbmLoss';
  const gamma = opts.regularization ?? 1;
  assertNonNegative(fn, 'regularization', gamma);
  if (data.rank !== 2 || negatives.rank !== 2 || data.shape[1] !== negatives.shape[1]) {
    throw new ShapeError(
      `${fn}: 'data' and 'negatives' must be [B, n] and [B', n], got [${data.shape.join(', ')}] and [${negatives.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const ep = energyFn(data);
    const en = energyFn(negatives);
    if (ep.rank !== 1 || ep.shape[0] !== data.shape[0] || en.rank !== 1 || en.shape[0] !== negatives.shape[0]) {
      throw new ShapeError(`${fn}: 'energyFn' must map [B, n] to [B], got [${ep.shape.join(', ')}]`);
    }
    const cd = tf.sub(tf.mean(ep), tf.mean(en));
    const reg = tf.mul(gamma, tf.add(tf.mean(tf.square(ep)), tf.mean(tf.square(en))));
    return tf.add(cd, reg) as tf.Scalar;
  });
}

/** Constrained-Langevin settings for the negatives of {@link constrainedEbm}. @public */
export interface ConstrainedEbmSampler {
  /** Constrained Langevin steps per training step (default 10). */
  readonly steps?: number;
  /** Step size ε (default 0.3). */
  readonly stepSize?: number;
  /** Clamp of ∇E entries in the drift (default 0.1; `Infinity` for none). */
  readonly gradClamp?: number;
  /** ‖F‖ tolerance of every sample (default 1e-4). */
  readonly tol?: number;
  /** Iterations of the multiplier solve (default 50). */
  readonly maxIter?: number;
  /** `'newton'` (default) or `'lbfgs'` (eq. 14 as in the paper). */
  readonly multiplierSolver?: 'newton' | 'lbfgs';
  /**
   * Add the reversibility check and Metropolis–Hastings correction (constrained MALA, exact for
   * e^{−E}); needs `gradClamp: Infinity`. Default false (the paper's unadjusted sampler).
   */
  readonly metropolis?: boolean;
}

/** Options of {@link constrainedEbm}. @public */
export interface ConstrainedEbmOptions extends ConstrainedEbmLossOptions {
  readonly key: Key;
  /** The (fixed, trained) manifold-defining function F_θ*. */
  readonly constraintFn: ConstraintFn;
  /** The energy network, `(params, x [B, n]) → [B]`. */
  readonly energyFn: (params: Params, x: tf.Tensor) => tf.Tensor;
  /** Initial ψ (not disposed). */
  readonly params: Params;
  /** Data `[N, n]` (near M; not disposed). */
  readonly data: tf.Tensor2D;
  readonly steps: number;
  /** Data points and negatives per step (default 100). */
  readonly batchSize?: number;
  /** Optimizer (default Adam with `learningRate`). */
  readonly optimizer?: Optimizer;
  /** Adam learning rate (default 0.01). */
  readonly learningRate?: number;
  /** Clip gradients to this global norm (default 1, App. B.1). */
  readonly clipNorm?: number;
  readonly sampler?: ConstrainedEbmSampler;
  /** Replay buffer of on-manifold negatives (default capacity 1000, reuse 0.95). */
  readonly buffer?: ReplayBufferOptions;
  /** Box for fresh chains, which are projected onto M (default: the data's bounding box + 10 %). */
  readonly bounds?: readonly (readonly [number, number])[];
  readonly onStep?: (e: LearningStepEvent & { readonly acceptanceRate: number }) => void;
}

/**
 * Fresh on-manifold points: uniform in a box, projected by Gauss–Newton (x ← x − Jᵀ(JJᵀ)⁻¹F);
 * rows that do not reach `tol` are redrawn, and after 5 rounds replaced by converged ones. @internal
 */
export function freshOnManifold(
  key: Key,
  m: number,
  constraintFn: ConstraintFn,
  bounds: readonly (readonly [number, number])[],
  tol: number,
): tf.Tensor2D {
  const n = bounds.length;
  const out = new Float32Array(m * n);
  const good: number[] = [];
  let need = Array.from({ length: m }, (_, i) => i);
  for (let round = 0; round < 5 && need.length > 0; round++) {
    const x0 = uniformInBox(foldIn(key, round), need.length, bounds);
    const res = projectToManifold(constraintFn, x0, { tol, maxIter: 50 });
    x0.dispose();
    const v = res.position.dataSync();
    res.position.dispose();
    const still: number[] = [];
    need.forEach((i, a) => {
      if (res.rowConverged[a]) {
        out.set(v.subarray(a * n, (a + 1) * n), i * n);
        good.push(i);
      } else still.push(i);
    });
    need = still;
  }
  if (good.length === 0) {
    throw new ShapeError(
      'constrainedEbm: no fresh point could be projected onto the manifold; check constraintFn and bounds',
    );
  }
  need.forEach((i, a) => {
    const j = good[a % good.length]!;
    out.set(out.slice(j * n, (j + 1) * n), i * n);
  });
  return tf.tensor2d(out, [m, n]);
}

/**
 * Fits a constrained energy-based model p_ψ(x) ∝ e^{−E_ψ(x)} on M = {F = 0} w.r.t. its Hausdorff
 * measure (Ross et al. 2023, eqs. 9–10, Sec. 3.2): per step, negatives from `sampler.steps` steps of
 * {@link constrainedLangevin} (Algorithm 1; unadjusted, with clamped energy gradients as in App. B.1)
 * started from a {@link ReplayBuffer} of on-manifold points (95 % reuse; fresh chains are uniform
 * points projected onto M), then one Adam step on {@link constrainedEbmLoss} (contrastive divergence
 * with energy magnitude regularization) with gradient clipping. F is fixed. Every negative is on M
 * to `sampler.tol`; chains whose solve fails keep their point (reported as the acceptance rate).
 * Sample the trained model with {@link constrainedHmc} (exact) or {@link constrainedLangevin}.
 * @public
 */
export function constrainedEbm(opts: ConstrainedEbmOptions): LearningResult {
  const fn = 'constrainedEbm';
  const { data, constraintFn } = opts;
  if (data.rank !== 2) throw new ShapeError(`${fn}: 'data' must have shape [N, n], got [${data.shape.join(', ')}]`);
  const n = data.shape[1];
  assertInteger(fn, 'steps', opts.steps, 0);
  const batchSize = opts.batchSize ?? 100;
  assertInteger(fn, 'batchSize', batchSize, 1);
  const lr = opts.learningRate ?? 0.01;
  assertPositive(fn, 'learningRate', lr);
  const clipNorm = opts.clipNorm ?? 1;
  assertPositive(fn, 'clipNorm', clipNorm);
  const smp = opts.sampler ?? {};
  const mcmcSteps = smp.steps ?? 10;
  assertInteger(fn, 'sampler.steps', mcmcSteps, 1);
  const tol = smp.tol ?? 1e-4;
  const clamp = smp.gradClamp ?? 0.1;
  const bounds = opts.bounds ?? dataBounds(data);
  if (bounds.length !== n) throw new ShapeError(`${fn}: 'bounds' must have ${n} [lo, hi] pairs, got ${bounds.length}`);
  const buffer = new ReplayBuffer(n, opts.buffer);
  const optimizer = opts.optimizer ?? adam({ learningRate: lr });
  let params = opts.params;
  let optState = optimizer.init(params);
  const losses: number[] = [];
  for (let s = 0; s < opts.steps; s++) {
    const [kb, kn, kl] = split(foldIn(opts.key, s), 3) as [Key, Key, Key];
    const p = params;
    const energy: EnergyFn = (x) => opts.energyFn(p, x);
    const kernel = constrainedLangevin(constraintFn, energy, {
      stepSize: smp.stepSize ?? 0.3,
      tol,
      maxIter: smp.maxIter ?? 50,
      multiplierSolver: smp.multiplierSolver ?? 'newton',
      metropolis: smp.metropolis ?? false,
      ...(Number.isFinite(clamp) ? { gradClamp: clamp } : {}),
    });
    const { samples: start, reused } = buffer.sample(kn, batchSize, (kk, m) =>
      freshOnManifold(kk, m, constraintFn, bounds, tol),
    );
    let state = kernel.init(start);
    start.dispose();
    let acc = 0;
    for (let t = 0; t < mcmcSteps; t++) {
      const [next, info] = kernel.step(foldIn(kl, t), state);
      disposeConstrainedState(state);
      state = next;
      acc += info.acceptanceRate / mcmcSteps;
    }
    const negatives = state.position;
    buffer.push(negatives);
    const batch = drawBatch(kb, data, batchSize);
    const r = updateParams(
      fn,
      (q) => constrainedEbmLoss((x) => opts.energyFn(q, x), batch, negatives, opts),
      params,
      optimizer,
      optState,
      clipNorm,
      params !== opts.params,
    );
    batch.dispose();
    disposeConstrainedState(state);
    params = r.params;
    optState = r.optState;
    losses.push(r.loss);
    opts.onStep?.({ step: s, loss: r.loss, gradNorm: r.gradNorm, reused: reused / batchSize, acceptanceRate: acc });
  }
  disposeOptState(optState);
  if (params === opts.params) params = cloneParams(params);
  return { params, losses, buffer };
}
