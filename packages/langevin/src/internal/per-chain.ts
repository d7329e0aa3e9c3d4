import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@walkjump/tensor';

/** A step size for all chains (a number) or one per chain (length C). */
export type StepSize = number | readonly number[];

/** Validates a scalar or per-chain hyperparameter (> 0 and finite) and returns it as an array or number. */
export function readStepSize(fn: string, name: string, v: unknown): number | Float64Array {
  if (typeof v === 'number') {
    if (!(Number.isFinite(v) && v > 0))
      throw new ValueError(`${fn}: '${name}' must be a positive number, got ${String(v)}`);
    return v;
  }
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = Float64Array.from(v as ArrayLike<number>);
    if (a.length === 0) throw new ValueError(`${fn}: '${name}' per chain must be a non-empty array`);
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      if (!(Number.isFinite(x) && x > 0)) {
        throw new ValueError(
          `${fn}: '${name}' must hold positive numbers (one per chain), got ${String(x)} at chain ${i}`,
        );
      }
    }
    return a;
  }
  throw new ValueError(
    `${fn}: '${name}' must be a positive number or an array of positive numbers (one per chain), got ${String(v)}`,
  );
}

/** Maps a scalar/per-chain parameter through f (host float64). */
export function mapCoef(v: number | Float64Array, f: (x: number) => number): number | Float64Array {
  return typeof v === 'number' ? f(v) : v.map(f);
}

/** Checks a per-chain parameter's length against the number of chains at init. */
export function checkChains(fn: string, name: string, v: number | Float64Array, C: number): void {
  if (typeof v !== 'number' && v.length !== C) {
    throw new ShapeError(`${fn}.init: '${name}' per chain must have one entry per chain (${C}), got ${v.length}`);
  }
}

/**
 * A coefficient as a broadcastable operand for [C, ...] tensors: the number itself, or a [C, 1, …, 1]
 * float32 tensor (created in the caller's tidy scope).
 */
export function coef(v: number | Float64Array, like: tf.Tensor): number | tf.Tensor {
  if (typeof v === 'number') return v;
  return tf.tensor(Float32Array.from(v), [v.length, ...like.shape.slice(1).map(() => 1)]);
}

/** A per-row coefficient as a [C] tensor (or the number), for per-chain reductions. */
export function coefRow(v: number | Float64Array): number | tf.Tensor {
  if (typeof v === 'number') return v;
  return tf.tensor1d(Float32Array.from(v));
}
