import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors/errors.ts';
import { assertInteger } from '../errors/validate.ts';
import { randomBits, threefry2x32 } from './threefry.ts';

/**
 * An explicit PRNG key: two unsigned 32-bit words, a plain JSON-serializable value (so it can be
 * checkpointed). Keys are never reused: `split` one into fresh keys for each random draw.
 */
export type Key = readonly [number, number] & { readonly __walkjumpKey: true };

const mk = (a: number, b: number): Key => Object.freeze([a >>> 0, b >>> 0]) as unknown as Key;

/** True when `k` is a well-formed {@link Key}. */
export function isKey(k: unknown): k is Key {
  return (
    Array.isArray(k) &&
    k.length === 2 &&
    k.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
  );
}

function checkKey(fn: string, k: unknown): asserts k is Key {
  if (!isKey(k)) throw new ValueError(`${fn}: 'key' must be a Key made by key(seed), got ${JSON.stringify(k)}`);
}

/**
 * Makes a PRNG key from an integer seed (0 ≤ seed < 2⁵³). Same seed, same numbers, on every backend
 * and in the browser: bits come from Threefry-2x32 computed in JavaScript, not from the backend.
 */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ValueError(`key: 'seed' must be a non-negative safe integer, got ${String(seed)}`);
  }
  return mk(Math.floor(seed / 0x100000000), seed % 0x100000000);
}

/** Restores a key from its two words (e.g. read from a checkpoint). */
export function keyFromWords(words: readonly number[]): Key {
  checkKey('keyFromWords', words);
  return mk(words[0]!, words[1]!);
}

/** Splits `k` into `n` (default 2) statistically independent keys. */
export function split(k: Key, n = 2): Key[] {
  checkKey('split', k);
  assertInteger('split', 'n', n, 1);
  const bits = randomBits(k[0], k[1], 2 * n);
  const out: Key[] = [];
  for (let i = 0; i < n; i++) out.push(mk(bits[2 * i]!, bits[2 * i + 1]!));
  return out;
}

/** Derives a new key from `k` and an integer `data` (e.g. a step or chain index). */
export function foldIn(k: Key, data: number): Key {
  checkKey('foldIn', k);
  if (!Number.isSafeInteger(data) || data < 0) {
    throw new ValueError(`foldIn: 'data' must be a non-negative safe integer, got ${String(data)}`);
  }
  const x0 = new Uint32Array([Math.floor(data / 0x100000000)]);
  const x1 = new Uint32Array([data % 0x100000000]);
  threefry2x32(k[0], k[1], x0, x1);
  return mk(x0[0]!, x1[0]!);
}

const sizeOf = (fn: string, shape: readonly number[]): number => {
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new ShapeError(`${fn}: 'shape' must hold non-negative integers, got [${shape.join(', ')}]`);
    n *= s;
  }
  return n;
};

/** Uniform float64 draws in the open interval (0, 1), 53-bit resolution would be wasted: 32 bits. @internal */
export function uniformArray(k: Key, n: number): Float64Array {
  const bits = randomBits(k[0], k[1], n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((bits[i] as number) + 0.5) / 4294967296;
  return out;
}

/** Standard normal float64 draws by Box–Muller on Threefry uniforms. @internal */
export function normalArray(k: Key, n: number): Float64Array {
  const m = n + (n & 1);
  const u = uniformArray(k, m);
  const out = new Float64Array(m);
  for (let i = 0; i < m; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u[i]!));
    const th = 2 * Math.PI * u[i + 1]!;
    out[i] = r * Math.cos(th);
    out[i + 1] = r * Math.sin(th);
  }
  return n === m ? out : out.subarray(0, n);
}

/**
 * Standard normal draws N(0, 1) (times `std`, plus `mean`) of the given shape, float32.
 * The caller owns the returned tensor.
 */
export function normal(k: Key, shape: readonly number[], opts: { mean?: number; std?: number } = {}): tf.Tensor {
  checkKey('normal', k);
  const n = sizeOf('normal', shape);
  const z = normalArray(k, n);
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = mean + std * z[i]!;
  return tf.tensor(f, shape as number[], 'float32');
}

/** Uniform draws on [min, max) (default [0, 1)), float32. The caller owns the returned tensor. */
export function uniform(k: Key, shape: readonly number[], opts: { min?: number; max?: number } = {}): tf.Tensor {
  checkKey('uniform', k);
  const n = sizeOf('uniform', shape);
  const lo = opts.min ?? 0;
  const hi = opts.max ?? 1;
  if (!(hi > lo)) throw new ValueError(`uniform: 'max' must exceed 'min', got min=${lo}, max=${hi}`);
  const u = uniformArray(k, n);
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = lo + (hi - lo) * u[i]!;
  return tf.tensor(f, shape as number[], 'float32');
}

/**
 * Bernoulli draws in {0, 1} (float32) with success probability `p` (a number or a tensor
 * broadcastable to `shape`). The caller owns the returned tensor.
 */
export function bernoulli(k: Key, p: number | tf.Tensor, shape: readonly number[]): tf.Tensor {
  checkKey('bernoulli', k);
  if (typeof p === 'number' && !(p >= 0 && p <= 1)) throw new ValueError(`bernoulli: 'p' must be in [0, 1], got ${p}`);
  return tf.tidy(() => {
    const u = uniform(k, shape);
    return tf.cast(tf.less(u, p), 'float32');
  });
}

/**
 * Draws one category per row from unnormalized `logits` of shape [B, K] by the Gumbel-max trick;
 * returns int32 indices of shape [B]. The caller owns the returned tensor.
 */
export function categorical(k: Key, logits: tf.Tensor): tf.Tensor {
  checkKey('categorical', k);
  if (logits.rank !== 2) throw new ShapeError(`categorical: 'logits' must have rank 2 [B, K], got shape [${logits.shape.join(', ')}]`);
  return tf.tidy(() => {
    const n = logits.size;
    const u = uniformArray(k, n);
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) g[i] = -Math.log(-Math.log(u[i]!));
    return tf.argMax(tf.add(logits, tf.tensor(g, logits.shape)), 1);
  });
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates on Threefry bits), as a plain array. */
export function permutation(k: Key, n: number): Int32Array {
  checkKey('permutation', k);
  assertInteger('permutation', 'n', n, 0);
  const u = uniformArray(k, n);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
