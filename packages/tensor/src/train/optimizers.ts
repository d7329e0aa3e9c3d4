import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors/errors.ts';
import { assertInteger, assertNonNegative, assertPositive } from '../errors/validate.ts';
import { type Params, type ParamsStructure, mapParams, paramLeaves, paramsStructure } from './params.ts';

/**
 * Optimizer state: the number of updates applied and named slot trees (e.g. Adam's `m`, `v`), each
 * with the structure of the parameters. Plain data, so it checkpoints and resumes bit-exactly.
 */
export interface OptState {
  readonly step: number;
  readonly slots: { readonly [slot: string]: Params };
}

/** A learning rate: a constant, or a schedule of the (0-based) update count. */
export type LearningRate = number | ((step: number) => number);

/**
 * A gradient transformation in the style of Optax: `init(params)` makes the state; `update(grads,
 * state, params)` returns the additive `updates` (params ← params + updates, see
 * {@link applyUpdates}) and the next state. Pure: nothing is mutated or disposed; the caller owns
 * every returned tensor.
 */
export interface Optimizer {
  readonly name: string;
  /** Hyperparameters (numbers only; a schedule shows as NaN), for logs and checkpoint manifests. */
  readonly config: Readonly<Record<string, number>>;
  init(params: Params): OptState;
  update(grads: Params, state: OptState, params: Params): { updates: Params; state: OptState };
}

const rate = (fn: string, lr: LearningRate, step: number): number => {
  const v = typeof lr === 'function' ? lr(step) : lr;
  if (!Number.isFinite(v) || v < 0)
    throw new ValueError(`${fn}: learning rate at step ${step} must be a finite number >= 0, got ${v}`);
  return v;
};
const checkRate = (fn: string, lr: LearningRate): void => {
  if (typeof lr !== 'function') assertPositive(fn, 'learningRate', lr);
};

/**
 * Adam (Kingma & Ba 2015, Algorithm 1): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², update
 * −η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) — ε outside the root, as in the paper, Optax
 * and PyTorch. Bias corrections are computed in float64 from the step count, so a resumed run
 * repeats an uninterrupted one bit for bit. Defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
 */
export function adam(opts: {
  learningRate: LearningRate;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}): Optimizer {
  const fn = 'adam';
  const { learningRate } = opts;
  const beta1 = opts.beta1 ?? 0.9;
  const beta2 = opts.beta2 ?? 0.999;
  const epsilon = opts.epsilon ?? 1e-8;
  checkRate(fn, learningRate);
  for (const [name, b] of [
    ['beta1', beta1],
    ['beta2', beta2],
  ] as const) {
    if (!(b >= 0 && b < 1)) throw new ValueError(`${fn}: '${name}' must be in [0, 1), got ${b}`);
  }
  assertPositive(fn, 'epsilon', epsilon);
  return {
    name: 'adam',
    config: { learningRate: typeof learningRate === 'number' ? learningRate : Number.NaN, beta1, beta2, epsilon },
    init: (params) => ({
      step: 0,
      slots: { m: mapParams((p) => tf.zerosLike(p), params), v: mapParams((p) => tf.zerosLike(p), params) },
    }),
    update: (grads, state, _params) => {
      const t = state.step + 1;
      const lr = rate(fn, learningRate, state.step);
      const c1 = 1 - beta1 ** t;
      const c2 = 1 - beta2 ** t;
      const m = mapParams(
        (g, mi) => tf.tidy(() => tf.add(tf.mul(mi, beta1), tf.mul(g, 1 - beta1))),
        grads,
        state.slots.m!,
      );
      const v = mapParams(
        (g, vi) => tf.tidy(() => tf.add(tf.mul(vi, beta2), tf.mul(tf.square(g), 1 - beta2))),
        grads,
        state.slots.v!,
      );
      const updates = mapParams(
        (mi, vi) => tf.tidy(() => tf.mul(tf.div(tf.div(mi, c1), tf.add(tf.sqrt(tf.div(vi, c2)), epsilon)), -lr)),
        m,
        v,
      );
      return { updates, state: { step: t, slots: { m, v } } };
    },
  };
}

/**
 * Stochastic gradient descent with optional heavy-ball momentum (Polyak 1964), in PyTorch's / Optax's
 * form: b ← μb + g, update −η·b (−η·(g + μb) with `nesterov`). Without momentum the state has no slots.
 */
export function sgd(opts: { learningRate: LearningRate; momentum?: number; nesterov?: boolean }): Optimizer {
  const fn = 'sgd';
  const { learningRate } = opts;
  const momentum = opts.momentum ?? 0;
  const nesterov = opts.nesterov ?? false;
  checkRate(fn, learningRate);
  assertNonNegative(fn, 'momentum', momentum);
  if (momentum >= 1) throw new ValueError(`${fn}: 'momentum' must be < 1, got ${momentum}`);
  return {
    name: 'sgd',
    config: {
      learningRate: typeof learningRate === 'number' ? learningRate : Number.NaN,
      momentum,
      nesterov: nesterov ? 1 : 0,
    },
    init: (params) => ({ step: 0, slots: momentum > 0 ? { momentum: mapParams((p) => tf.zerosLike(p), params) } : {} }),
    update: (grads, state, _params) => {
      const lr = rate(fn, learningRate, state.step);
      if (momentum === 0) {
        return { updates: mapParams((g) => tf.mul(g, -lr), grads), state: { step: state.step + 1, slots: {} } };
      }
      const b = mapParams((g, bi) => tf.tidy(() => tf.add(tf.mul(bi, momentum), g)), grads, state.slots.momentum!);
      const updates = nesterov
        ? mapParams((g, bi) => tf.tidy(() => tf.mul(tf.add(g, tf.mul(bi, momentum)), -lr)), grads, b)
        : mapParams((bi) => tf.mul(bi, -lr), b);
      return { updates, state: { step: state.step + 1, slots: { momentum: b } } };
    },
  };
}

/** params + updates, leaf by leaf (Optax `apply_updates`). The caller owns the returned tree. */
export function applyUpdates(params: Params, updates: Params): Params {
  return mapParams((p, u) => tf.add(p, u), params, updates);
}

/** ‖g‖ over all leaves, √Σ‖gᵢ‖², as a scalar tensor the caller owns. */
export function globalNorm(tree: Params): tf.Scalar {
  return tf.tidy(() => {
    const leaves = paramLeaves(tree);
    if (leaves.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(leaves.map((l) => tf.sum(tf.square(l))))) as tf.Scalar;
  });
}

/**
 * Gradient clipping by global norm (Pascanu, Mikolov & Bengio 2013; Optax `clip_by_global_norm`):
 * every leaf times `maxNorm / max(‖g‖, maxNorm)`, so gradients within the ball are returned exactly.
 * Returns the clipped tree and the pre-clipping norm; the caller owns both.
 */
export function clipByGlobalNorm(grads: Params, maxNorm: number): { grads: Params; norm: tf.Scalar } {
  assertPositive('clipByGlobalNorm', 'maxNorm', maxNorm);
  const norm = globalNorm(grads);
  const scale = tf.tidy(() => tf.div(maxNorm, tf.maximum(norm, maxNorm)));
  const clipped = mapParams((g) => tf.mul(g, scale), grads);
  scale.dispose();
  return { grads: clipped, norm };
}

/** JSON-serializable description of an {@link OptState}'s layout (for checkpoint manifests). */
export interface OptStateStructure {
  readonly step: number;
  readonly slots: { readonly [slot: string]: ParamsStructure };
}

/** The {@link OptStateStructure} of a state. */
export function optStateStructure(state: OptState): OptStateStructure {
  const slots: Record<string, ParamsStructure> = {};
  for (const [k, v] of Object.entries(state.slots)) slots[k] = paramsStructure(v);
  return { step: state.step, slots };
}

/** Disposes every tensor of an optimizer state. */
export function disposeOptState(state: OptState): void {
  for (const v of Object.values(state.slots)) tf.dispose(paramLeaves(v));
}

/** @internal */
export const validateStep = (fn: string, step: number): void => assertInteger(fn, 'step', step, 0);
