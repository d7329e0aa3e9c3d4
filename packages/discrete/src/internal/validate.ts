import * as tf from '@tensorflow/tfjs-core';
import { inputGrad, type Key, ShapeError, split, ValueError } from '@walkjump/tensor';
import type { DiscreteTarget, GradFn, LogProbFn } from '../targets/types.ts';

/** A target with both functions resolved (gradient by autodiff of `logProb` when not given). */
export interface ResolvedTarget {
  readonly logProb: LogProbFn;
  readonly grad: GradFn;
}

export function resolveTarget(fn: string, target: DiscreteTarget | LogProbFn | undefined): ResolvedTarget {
  if (typeof target === 'function') return { logProb: target, grad: inputGrad(target) };
  if (target === null || typeof target !== 'object' || typeof target.logProb !== 'function') {
    throw new ValueError(
      `${fn}: 'target' must be a log-probability function or { logProb, grad? }, got ${typeof target}`,
    );
  }
  const logProb = target.logProb;
  return { logProb, grad: target.grad ?? inputGrad(logProb) };
}

/**
 * Validates chain positions [C, d] with entries in {−1, 1}. Reads the values back once (`dataSync`):
 * this runs at `init`, a boundary, never in a step.
 */
export function assertSpins(fn: string, name: string, y: tf.Tensor): void {
  if (!(y instanceof tf.Tensor)) throw new ValueError(`${fn}: '${name}' must be a tensor, got ${typeof y}`);
  if (y.rank !== 2) {
    throw new ShapeError(`${fn}: '${name}' must have shape [C, d] (rank 2), got shape [${y.shape.join(', ')}]`);
  }
  if (y.size === 0) throw new ShapeError(`${fn}: '${name}' must be non-empty, got shape [${y.shape.join(', ')}]`);
  const v = y.dataSync();
  for (let i = 0; i < v.length; i++) {
    const s = v[i]!;
    if (s !== 1 && s !== -1) {
      const d = y.shape[1]!;
      throw new ValueError(
        `${fn}: '${name}' must have entries in {-1, 1}, got ${s} at [${Math.floor(i / d)}, ${i % d}] (use toSpins for {0, 1} data)`,
      );
    }
  }
}

/** Checks that a log-probability returned shape [C] and a gradient/score shape [C, d]. */
export function assertOutShape(fn: string, what: string, out: tf.Tensor, expected: readonly number[]): void {
  const ok = out.rank === expected.length && out.shape.every((s, i) => s === expected[i]);
  if (!ok) {
    tf.dispose(out);
    throw new ShapeError(`${fn}: ${what} must return shape [${expected.join(', ')}], got [${out.shape.join(', ')}]`);
  }
}

/** Position as float32 copy owned by the state. */
export const ownCopy = (y: tf.Tensor): tf.Tensor => tf.tidy(() => tf.clone(tf.cast(y, 'float32')));

/** Validates a position and evaluates f there: the state of kernels that cache f. */
export function initLogProb(
  fn: string,
  logProb: LogProbFn,
  position: tf.Tensor,
): { position: tf.Tensor; logProb: tf.Tensor } {
  assertSpins(fn, 'position', position);
  const C = position.shape[0]!;
  const pos = ownCopy(position);
  try {
    const lp = tf.tidy(() => logProb(pos));
    assertOutShape(fn, "the target's logProb", lp, [C]);
    return { position: pos, logProb: lp };
  } catch (e) {
    pos.dispose();
    throw e;
  }
}

/** Validates a position and evaluates a [C, d]-valued function (gradient or score) there. */
export function initField(
  fn: string,
  what: string,
  field: GradFn,
  position: tf.Tensor,
): { position: tf.Tensor; field: tf.Tensor } {
  assertSpins(fn, 'position', position);
  const pos = ownCopy(position);
  try {
    const g = tf.tidy(() => field(pos));
    assertOutShape(fn, what, g, pos.shape);
    return { position: pos, field: g };
  } catch (e) {
    pos.dispose();
    throw e;
  }
}

/** Hamming distance per row between two [C, d] spin tensors, float32 [C]. */
export const hamming = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.sum(tf.cast(tf.notEqual(a, b), 'float32'), 1));

/** `tf.tidy` for a kernel step returning [state, info] (plain objects of tensors, which tidy keeps). */
export const tidyStep = <S, I>(f: () => [S, I]): [S, I] =>
  tf.tidy(() => f() as unknown as tf.TensorContainer) as unknown as [S, I];

/**
 * n uniforms in (0, 1) drawn on the host from `k` (Threefry words of `split`, as tensor's `uniform` uses),
 * for kernels that need per-site randomness without creating a tensor per draw.
 */
export function uniformArray(k: Key, n: number): Float64Array {
  const out = new Float64Array(n);
  const keys = split(k, Math.max(1, Math.ceil(n / 2)));
  for (let i = 0; i < n; i++) out[i] = (keys[i >> 1]![i & 1]! + 0.5) / 4294967296;
  return out;
}
