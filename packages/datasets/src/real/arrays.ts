import * as tf from '@tensorflow/tfjs-core';
import { foldIn, type Key, ShapeError } from '@walkjump/tensor';
import { uniforms } from '../internal/rng.ts';

/** Plain typed-array data with a shape: large datasets live here, outside tfjs memory. */
export interface ArrayData<T extends Float32Array | Int32Array | Uint8Array = Float32Array | Int32Array | Uint8Array> {
  /** Row-major values. */
  readonly data: T;
  /** Shape; the first axis indexes examples. */
  readonly shape: readonly number[];
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Copies `a` into a new tensor: float32 for `Float32Array`, int32 for `Int32Array` and
 * `Uint8Array`. The caller owns (and must dispose) the returned tensor.
 */
export function toTensor(a: ArrayData): tf.Tensor {
  if (sizeOf(a.shape) !== a.data.length) {
    throw new ShapeError(`toTensor: 'a.shape' [${a.shape.join(', ')}] does not match ${a.data.length} values`);
  }
  if (a.data instanceof Float32Array) return tf.tensor(a.data, a.shape as number[], 'float32');
  const d = a.data instanceof Int32Array ? a.data : Int32Array.from(a.data);
  return tf.tensor(d, a.shape as number[], 'int32');
}

const CHUNK = 1 << 20;

/**
 * Dynamic binarization (Salakhutdinov & Murray 2008; as used for binarized MNIST by
 * Larochelle & Murray 2011): each pixel is an independent Bernoulli draw with success
 * probability equal to its intensity in [0, 1]. Returns a new float32 array of the same shape
 * with values in {0, 1}. Chunks of 2²⁰ pixels take their randomness from `foldIn(key, chunk)`,
 * so the result is the same whether data come as an array or a tensor. For a tensor input the
 * caller owns the returned tensor; inputs are never disposed.
 */
export function binarize(key: Key, images: ArrayData<Float32Array>): ArrayData<Float32Array>;
export function binarize(key: Key, images: tf.Tensor): tf.Tensor;
export function binarize(key: Key, images: ArrayData<Float32Array> | tf.Tensor): ArrayData<Float32Array> | tf.Tensor {
  if (images instanceof tf.Tensor) {
    const out = binarizeArray(key, images.dataSync() as Float32Array);
    return tf.tensor(out, images.shape, 'float32');
  }
  return { data: binarizeArray(key, images.data), shape: [...images.shape] };
}

function binarizeArray(key: Key, p: ArrayLike<number>): Float32Array {
  const n = p.length;
  const out = new Float32Array(n);
  for (let c = 0; c * CHUNK < n; c++) {
    const lo = c * CHUNK;
    const m = Math.min(CHUNK, n - lo);
    const u = uniforms(foldIn(key, c), m);
    for (let i = 0; i < m; i++) out[lo + i] = u[i]! < p[lo + i]! ? 1 : 0;
  }
  return out;
}
