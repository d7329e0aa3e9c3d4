import * as tf from '@tensorflow/tfjs-core';
import {
  type Key,
  type Optimizer,
  type Params,
  ShapeError,
  adam,
  assertInteger,
  assertPositive,
  disposeOptState,
  foldIn,
  mapParams,
  split,
} from '@walkjump/tensor';
import { type MdfLossOptions, mdfLoss } from '../mdf/mdf.ts';
import {
  type EbmLangevinOptions,
  ReplayBuffer,
  type ReplayBufferOptions,
  dataBounds,
  ebmLangevin,
  uniformInBox,
} from './negatives.ts';
import { drawBatch, updateParams } from './train.ts';

/** A manifold-defining network: `(params, x [B, n]) → F(x) [B, k]`. @public */
export type ParametricConstraintFn = (params: Params, x: tf.Tensor) => tf.Tensor;

/** Progress of a training step. @public */
export interface LearningStepEvent {
  readonly step: number;
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Fraction of negative chains started from the replay buffer. */
  readonly reused: number;
}

/** Options of {@link fitMdf}. @public */
export interface FitMdfOptions extends MdfLossOptions {
  readonly key: Key;
  /** The MDF network F_θ. */
  readonly constraintFn: ParametricConstraintFn;
  /** Initial parameters θ (not disposed). */
  readonly params: Params;
  /** Training data `[N, n]` (not disposed). */
  readonly data: tf.Tensor2D;
  /** Optimizer updates. */
  readonly steps: number;
  /** Data points (and negatives) per step (default 100). */
  readonly batchSize?: number;
  /** Optimizer (default Adam with `learningRate`). */
  readonly optimizer?: Optimizer;
  /** Adam learning rate (default 0.01, App. B.1). */
  readonly learningRate?: number;
  /** Clip gradients to this global norm (default: no clipping). */
  readonly clipNorm?: number;
  /** Negative-sample Langevin on ‖F‖ (or ‖F‖² with `negative: 'squared'`); defaults as {@link ebmLangevin}. */
  readonly langevin?: EbmLangevinOptions;
  /** Replay buffer (default capacity 1000, reuse 0.95). */
  readonly buffer?: ReplayBufferOptions;
  /** Box `[lo, hi]` per axis for fresh negatives (default: the data's bounding box, padded by 10 %). */
  readonly bounds?: readonly (readonly [number, number])[];
  /** Called after every step. */
  readonly onStep?: (e: LearningStepEvent) => void;
}

/** Result of {@link fitMdf} and {@link constrainedEbm}. @public */
export interface LearningResult {
  /** Trained parameters (the caller owns them; the initial ones are untouched). */
  readonly params: Params;
  /** Loss per step. */
  readonly losses: number[];
  /** The replay buffer at the end (its samples are the last negatives). */
  readonly buffer: ReplayBuffer;
}

/**
 * Trains a manifold-defining function F_θ by eq. 8 of Ross et al. (2023) (Sec. 3.1, App. B.1):
 * per step a data batch, negatives x' from short-run Langevin on ‖F_θ‖ ({@link ebmLangevin}:
 * gradient clamping, decoupled step size and noise) started from a {@link ReplayBuffer} (95 %
 * reuse, fresh points uniform in a box), then one Adam update of {@link mdfLoss} (with its
 * `rank: 'both'` and `negative: 'squared'` variants), optionally with gradient clipping. The zero
 * set of the result is the learned manifold; use it with the samplers once J_F has full rank there
 * (the rank term's job). Synchronous; memory stays flat (no tensors kept between steps except θ and
 * Adam's moments). Throws `NonFiniteError` if the loss or gradient becomes non-finite.
 * @public
 */
export function fitMdf(opts: FitMdfOptions): LearningResult {
  const fn = 'fitMdf';
  const { data } = opts;
  if (data.rank !== 2) throw new ShapeError(`${fn}: 'data' must have shape [N, n], got [${data.shape.join(', ')}]`);
  const n = data.shape[1];
  assertInteger(fn, 'steps', opts.steps, 0);
  const batchSize = opts.batchSize ?? 100;
  assertInteger(fn, 'batchSize', batchSize, 1);
  const lr = opts.learningRate ?? 0.01;
  assertPositive(fn, 'learningRate', lr);
  if (opts.clipNorm !== undefined) assertPositive(fn, 'clipNorm', opts.clipNorm);
  const bounds = opts.bounds ?? dataBounds(data);
  if (bounds.length !== n) throw new ShapeError(`${fn}: 'bounds' must have ${n} [lo, hi] pairs, got ${bounds.length}`);
  const F = opts.constraintFn;
  const k = tf.tidy(() => {
    const out = F(opts.params, tf.slice(data, [0, 0], [1, n]));
    if (out.rank !== 2 || out.shape[0] !== 1) {
      throw new ShapeError(
        `${fn}: 'constraintFn' must map [B, ${n}] to [B, k], got [${out.shape.join(', ')}] for B = 1`,
      );
    }
    return out.shape[1] as number;
  });
  if (!(k >= 1 && k < n)) throw new ShapeError(`${fn}: 'constraintFn' must have 1 <= k < n = ${n} outputs, got ${k}`);
  const squared = opts.negative === 'squared';
  const buffer = new ReplayBuffer(n, opts.buffer);
  const optimizer = opts.optimizer ?? adam({ learningRate: lr });
  let params = opts.params;
  let optState = optimizer.init(params);
  const losses: number[] = [];
  for (let s = 0; s < opts.steps; s++) {
    const [kb, kn, kl, kv] = split(foldIn(opts.key, s), 4) as [Key, Key, Key, Key];
    const p = params;
    const negEnergy = (x: tf.Tensor): tf.Tensor =>
      tf.tidy(() => {
        const f = F(p, x);
        const sq = tf.sum(tf.square(f), 1);
        return squared ? sq : tf.sqrt(tf.add(sq, 1e-12));
      });
    const { samples: start, reused } = buffer.sample(kn, batchSize, (kk, m) => uniformInBox(kk, m, bounds));
    const negatives = ebmLangevin(kl, negEnergy, start, opts.langevin);
    start.dispose();
    buffer.push(negatives);
    const batch = drawBatch(kb, data, batchSize);
    const r = updateParams(
      fn,
      (q) => mdfLoss(kv, (x) => F(q, x), batch, negatives, opts),
      params,
      optimizer,
      optState,
      opts.clipNorm,
      params !== opts.params,
    );
    tf.dispose([batch, negatives]);
    params = r.params;
    optState = r.optState;
    losses.push(r.loss);
    opts.onStep?.({ step: s, loss: r.loss, gradNorm: r.gradNorm, reused: reused / batchSize });
  }
  disposeOptState(optState);
  if (params === opts.params) params = cloneParams(params);
  return { params, losses, buffer };
}

/** A deep copy of a parameter tree (caller owns). @internal */
export function cloneParams(p: Params): Params {
  return mapParams((t) => tf.clone(t), p);
}
