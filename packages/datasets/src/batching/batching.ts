import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, foldIn, type Key, permutation, ShapeError, ValueError } from '@walkjump/tensor';
import type { ArrayData } from '../real/arrays.ts';

/** Index sets of a train/validation/test split. */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly valid: Int32Array;
  readonly test: Int32Array;
}

const count = (fn: string, name: string, v: number, n: number): number => {
  if (!(Number.isFinite(v) && v >= 0)) throw new ValueError(`${fn}: '${name}' must be a non-negative number, got ${v}`);
  return v < 1
    ? Math.round(v * n)
    : Number.isInteger(v)
      ? v
      : (() => {
          throw new ValueError(`${fn}: '${name}' must be a fraction in [0, 1) or an integer count, got ${v}`);
        })();
};

/**
 * A seeded random split of 0…n−1 into train/valid/test. `valid` and `test` are fractions in
 * [0, 1) (rounded) or integer counts; train gets the rest. Same key, same split. Indices within
 * each part are in shuffled order.
 */
export function splitIndices(key: Key, n: number, opts: { valid?: number; test?: number } = {}): SplitIndices {
  assertInteger('splitIndices', 'n', n, 0);
  const nv = count('splitIndices', 'valid', opts.valid ?? 0, n);
  const nt = count('splitIndices', 'test', opts.test ?? 0, n);
  if (nv + nt > n) throw new ValueError(`splitIndices: 'valid' + 'test' (${nv} + ${nt}) exceed n = ${n}`);
  const p = permutation(key, n);
  return { test: p.slice(0, nt), valid: p.slice(nt, nt + nv), train: p.slice(nt + nv) };
}

const rowSize = (a: ArrayData): number => a.shape.slice(1).reduce((x, y) => x * y, 1);

/** Copies rows `idx` of `a` (first axis) into a new array of the same type. */
export function takeRows<T extends Float32Array | Int32Array | Uint8Array>(
  a: ArrayData<T>,
  idx: ArrayLike<number>,
): ArrayData<T> {
  const n = a.shape[0] ?? 0;
  const r = rowSize(a);
  const Ctor = a.data.constructor as new (len: number) => T;
  const out = new Ctor(idx.length * r);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    if (!(j >= 0 && j < n)) throw new ValueError(`takeRows: index ${j} out of range [0, ${n})`);
    out.set(a.data.subarray(j * r, (j + 1) * r), i * r);
  }
  return { data: out, shape: [idx.length, ...a.shape.slice(1)] };
}

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Rows per batch. */
  readonly batchSize: number;
  /** Passes over the data (default 1; `Infinity` for an endless stream). */
  readonly epochs?: number;
  /** Shuffle each epoch with `permutation(foldIn(key, epoch), n)` (default true). */
  readonly shuffle?: boolean;
  /** Drop the last, smaller batch of each epoch (default false). */
  readonly dropLast?: boolean;
}

/** One mini-batch: tensors keyed like the input, which the caller owns and must dispose. */
export interface Batch<K extends string> {
  /** Epoch index (0-based). */
  readonly epoch: number;
  /** Batch index over all epochs (0-based). */
  readonly step: number;
  /** The batch tensors, `[b, ...]` each. */
  readonly tensors: Readonly<Record<K, tf.Tensor>>;
  /** Disposes every tensor of this batch. */
  dispose(): void;
}

function batchPlan(fn: string, key: Key, n: number, opts: BatchOptions) {
  assertInteger(fn, 'batchSize', opts.batchSize, 1);
  const epochs = opts.epochs ?? 1;
  if (!(epochs === Number.POSITIVE_INFINITY || (Number.isInteger(epochs) && epochs >= 0))) {
    throw new ValueError(`${fn}: 'epochs' must be a non-negative integer or Infinity, got ${epochs}`);
  }
  const shuffle = opts.shuffle ?? true;
  const perEpoch = opts.dropLast === true ? Math.floor(n / opts.batchSize) : Math.ceil(n / opts.batchSize);
  return {
    epochs,
    perEpoch,
    order: (epoch: number): Int32Array =>
      shuffle ? permutation(foldIn(key, epoch), n) : Int32Array.from({ length: n }, (_, i) => i),
  };
}

/**
 * Seeded mini-batches over plain typed-array data (e.g. from `mnist()`), for `epochs` passes.
 * Each named array is indexed along its first axis, and all must have the same length. Each
 * batch is gathered from the arrays into fresh tensors, so nothing beyond the current batch
 * lives in tfjs memory: the caller owns each yielded batch and must `dispose()` it (or
 * `tf.dispose` its tensors) before or after pulling the next one. Float32 arrays become float32
 * tensors; Int32/Uint8 arrays become int32 tensors.
 */
export function* batches<K extends string>(
  key: Key,
  data: Readonly<Record<K, ArrayData>>,
  opts: BatchOptions,
): Generator<Batch<K>, void, undefined> {
  const names = Object.keys(data) as K[];
  if (names.length === 0) throw new ValueError(`batches: 'data' must hold at least one array`);
  const n = data[names[0]!].shape[0] ?? 0;
  for (const k of names) {
    const a = data[k];
    if (a.shape[0] !== n)
      throw new ShapeError(`batches: 'data.${k}' has ${a.shape[0]} rows, expected ${n} like 'data.${names[0]}'`);
    if (a.shape.reduce((x, y) => x * y, 1) !== a.data.length)
      throw new ShapeError(`batches: 'data.${k}' shape [${a.shape.join(', ')}] does not match ${a.data.length} values`);
  }
  const plan = batchPlan('batches', key, n, opts);
  let step = 0;
  for (let epoch = 0; epoch < plan.epochs; epoch++) {
    const order = plan.order(epoch);
    for (let b = 0; b < plan.perEpoch; b++) {
      const idx = order.subarray(b * opts.batchSize, Math.min(n, (b + 1) * opts.batchSize));
      const tensors = {} as Record<K, tf.Tensor>;
      for (const k of names) {
        const rows = takeRows(data[k], idx);
        tensors[k] =
          rows.data instanceof Float32Array
            ? tf.tensor(rows.data, rows.shape as number[], 'float32')
            : tf.tensor(
                rows.data instanceof Int32Array ? rows.data : Int32Array.from(rows.data),
                rows.shape as number[],
                'int32',
              );
      }
      yield { epoch, step: step++, tensors, dispose: () => tf.dispose(Object.values(tensors) as tf.Tensor[]) };
    }
  }
}

/**
 * Seeded mini-batches of rows of a tensor `x` `[n, ...]` (e.g. synthetic samples), by `tf.gather`.
 * The caller owns each yielded tensor and must dispose it; `x` is not disposed.
 */
export function* tensorBatches(key: Key, x: tf.Tensor, opts: BatchOptions): Generator<tf.Tensor, void, undefined> {
  if (x.rank < 1) throw new ShapeError(`tensorBatches: 'x' must have rank >= 1, got a scalar`);
  const n = x.shape[0]!;
  const plan = batchPlan('tensorBatches', key, n, opts);
  for (let epoch = 0; epoch < plan.epochs; epoch++) {
    const order = plan.order(epoch);
    for (let b = 0; b < plan.perEpoch; b++) {
      const idx = order.slice(b * opts.batchSize, Math.min(n, (b + 1) * opts.batchSize));
      yield tf.tidy(() => tf.gather(x, tf.tensor1d(idx, 'int32')));
    }
  }
}

/** Reshapes `[n, ...]` to `[n, prod(...)]` (arrays: same data, new shape; tensors: a new tensor the caller owns). */
export function flatten(x: tf.Tensor): tf.Tensor;
export function flatten<T extends Float32Array | Int32Array | Uint8Array>(x: ArrayData<T>): ArrayData<T>;
export function flatten(x: tf.Tensor | ArrayData): tf.Tensor | ArrayData {
  if (x instanceof tf.Tensor) {
    if (x.rank < 1) throw new ShapeError(`flatten: 'x' must have rank >= 1, got a scalar`);
    return tf.reshape(x, [x.shape[0]!, -1]);
  }
  return { data: x.data, shape: [x.shape[0] ?? 0, rowSize(x)] };
}

/**
 * Reshapes flat images `[n, h·w·c]` or `[n, h, w]` to NHWC `[n, h, w, c]` (channels default 1).
 * Arrays share data; for tensors the caller owns the new tensor.
 */
export function toNHWC(x: tf.Tensor, opts: { height: number; width: number; channels?: number }): tf.Tensor;
export function toNHWC<T extends Float32Array | Int32Array | Uint8Array>(
  x: ArrayData<T>,
  opts: { height: number; width: number; channels?: number },
): ArrayData<T>;
export function toNHWC(
  x: tf.Tensor | ArrayData,
  opts: { height: number; width: number; channels?: number },
): tf.Tensor | ArrayData {
  const c = opts.channels ?? 1;
  assertInteger('toNHWC', 'height', opts.height, 1);
  assertInteger('toNHWC', 'width', opts.width, 1);
  assertInteger('toNHWC', 'channels', c, 1);
  const shape = x instanceof tf.Tensor ? x.shape : x.shape;
  const n = shape[0] ?? 0;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (per !== opts.height * opts.width * c) {
    throw new ShapeError(
      `toNHWC: 'x' rows of shape [${shape.slice(1).join(', ')}] cannot be reshaped to [${opts.height}, ${opts.width}, ${c}]`,
    );
  }
  const out = [n, opts.height, opts.width, c];
  return x instanceof tf.Tensor ? tf.reshape(x, out) : { data: x.data, shape: out };
}

/**
 * Affine rescaling from the interval `from` (default [0, 1]) to `to` (e.g. [−1, 1]):
 * y = to₀ + (x − from₀)(to₁ − to₀)/(from₁ − from₀). Arrays: a new Float32Array; tensors: a new
 * tensor the caller owns.
 */
export function scale(
  x: tf.Tensor,
  opts: { from?: readonly [number, number]; to: readonly [number, number] },
): tf.Tensor;
export function scale(
  x: ArrayData<Float32Array>,
  opts: { from?: readonly [number, number]; to: readonly [number, number] },
): ArrayData<Float32Array>;
export function scale(
  x: tf.Tensor | ArrayData<Float32Array>,
  opts: { from?: readonly [number, number]; to: readonly [number, number] },
): tf.Tensor | ArrayData<Float32Array> {
  const [a, b] = opts.from ?? [0, 1];
  const [c, d] = opts.to;
  if (![a, b, c, d].every(Number.isFinite) || a === b)
    throw new ValueError(
      `scale: 'from' must be a non-empty finite interval and 'to' finite, got [${a}, ${b}] → [${c}, ${d}]`,
    );
  const m = (d - c) / (b - a);
  if (x instanceof tf.Tensor) return tf.tidy(() => tf.add(c, tf.mul(m, tf.sub(x, a))));
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = c + m * (x.data[i]! - a);
  return { data: out, shape: [...x.shape] };
}
