import type * as tf from '@tensorflow/tfjs-core';
import { assertInteger, isKey, type Key, ShapeError, ValueError } from '@walkjump/tensor';

/** Validates `sample(key, n)` arguments. */
export function checkSampleArgs(fn: string, k: Key, n: number): void {
  if (!isKey(k)) throw new ValueError(`${fn}: 'key' must be a Key made by key(seed), got ${JSON.stringify(k)}`);
  assertInteger(fn, 'n', n, 0);
}

/** Validates that `x` is a float `[n, d]` tensor. */
export function checkPoints(fn: string, x: tf.Tensor, d: number, name = 'x'): void {
  if (x.rank !== 2 || x.shape[1] !== d)
    throw new ShapeError(`${fn}: '${name}' must have shape [n, ${d}], got [${x.shape.join(', ')}]`);
  if (x.dtype !== 'float32') throw new ShapeError(`${fn}: '${name}' must be float32, got ${x.dtype}`);
}

/** Validates a list of mixture weights (positive, finite) and returns them normalized. */
export function normalizeWeights(fn: string, w: readonly number[] | undefined, k: number): number[] {
  if (w === undefined) return Array.from({ length: k }, () => 1 / k);
  if (w.length !== k) throw new ShapeError(`${fn}: 'weights' must have ${k} entries, got ${w.length}`);
  let s = 0;
  for (const v of w) {
    if (!(Number.isFinite(v) && v > 0))
      throw new ValueError(`${fn}: 'weights' must be positive finite numbers, got [${w.join(', ')}]`);
    s += v;
  }
  return w.map((v) => v / s);
}

/** Picks a component for each uniform in `u` by inverse CDF of `w`. */
export function pickComponents(u: ArrayLike<number>, w: readonly number[]): Int32Array {
  const cum: number[] = [];
  let s = 0;
  for (const v of w) cum.push((s += v));
  const out = new Int32Array(u.length);
  for (let i = 0; i < u.length; i++) {
    let j = 0;
    while (j < w.length - 1 && u[i]! >= cum[j]!) j++;
    out[i] = j;
  }
  return out;
}
