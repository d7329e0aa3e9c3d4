import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertNonNegative,
  DataError,
  type Key,
  normal,
  ShapeError,
  split,
  uniform,
  ValueError,
} from '@walkjump/tensor';

/**
 * How to start a batch of chains (Saremi & Srivastava 2022, Algorithms 1–2 line 4 and Remark 4):
 * - `{ scheme: 'uniform', shape, low = 0, high = 1 }`: Y₀ ~ Unif([low, high]^{…});
 * - `{ scheme: 'uniformPlusNoise', shape, sigma, low = 0, high = 1 }`: Y₀ = U + σε (Remark 4);
 * - `{ scheme: 'dataPlusNoise', data, chains, sigma }`: Y₀ = x_i + σε with x_i drawn uniformly with
 *   replacement from `data` [N, ...] (starts on the noisy density itself).
 * `shape` is [C, ...]; for data + noise the shape is [chains, ...data.shape.slice(1)].
 */
export type InitScheme =
  | { readonly scheme: 'uniform'; readonly shape: readonly number[]; readonly low?: number; readonly high?: number }
  | {
      readonly scheme: 'uniformPlusNoise';
      readonly shape: readonly number[];
      readonly sigma: number;
      readonly low?: number;
      readonly high?: number;
    }
  | { readonly scheme: 'dataPlusNoise'; readonly data: tf.Tensor; readonly chains: number; readonly sigma: number };

function checkShape(fn: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new ShapeError(`${fn}: 'shape' must be [C, ...] with positive integers (rank ≥ 2), got [${String(shape)}]`);
  }
}

function checkRange(fn: string, low: number, high: number): void {
  if (!(Number.isFinite(low) && Number.isFinite(high) && high > low)) {
    throw new ValueError(`${fn}: 'low' and 'high' must be finite with low < high, got ${low} and ${high}`);
  }
}

/**
 * Y₀ ~ Unif([low, high]) elementwise, shape [C, ...]: the conventional initialization of Algorithms 1
 * and 2 (line 4) of Saremi & Srivastava (2022). Defaults low = 0, high = 1. The caller owns the result.
 */
export function initUniform(
  key: Key,
  shape: readonly number[],
  opts: { readonly low?: number; readonly high?: number } = {},
): tf.Tensor {
  const fn = 'initUniform';
  checkShape(fn, shape);
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  checkRange(fn, low, high);
  return uniform(key, shape, { min: low, max: high });
}

/**
 * The initialization of Saremi & Srivastava (2022), Remark 4: Y₀ = U + σε with U ~ Unif([low, high])
 * and ε ~ N(0, I), which starts chains "relatively close" to the noisy density for large σ. `shape`
 * is [C, ...]; defaults low = 0, high = 1. The caller owns the result.
 */
export function initUniformPlusNoise(
  key: Key,
  shape: readonly number[],
  opts: { readonly low?: number; readonly high?: number; readonly sigma: number },
): tf.Tensor {
  const fn = 'initUniformPlusNoise';
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { sigma } are required`);
  assertNonNegative(fn, 'sigma', opts.sigma);
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  checkRange(fn, low, high);
  const [ku, kn] = split(key, 2) as [Key, Key];
  return tf.tidy(() => tf.add(uniform(ku, shape, { min: low, max: high }), normal(kn, shape, { std: opts.sigma })));
}

/**
 * Y₀ = x_i + σε, i drawn uniformly with replacement from `data` [N, ...], ε ~ N(0, I): `chains` starts
 * distributed exactly as the noisy density Y = X + σN(0, I) of the empirical distribution (the
 * warm start of "from data + noise"). Returns [chains, ...data.shape.slice(1)]; `data` is not
 * disposed; the caller owns the result.
 */
export function initDataPlusNoise(
  key: Key,
  data: tf.Tensor,
  opts: { readonly chains: number; readonly sigma: number },
): tf.Tensor {
  const fn = 'initDataPlusNoise';
  if (!(data instanceof tf.Tensor) || data.rank < 2 || data.shape[0] === 0) {
    throw new ShapeError(`${fn}: 'data' must be a tensor [N, ...] with N ≥ 1`);
  }
  if (data.dtype !== 'float32') throw new DataError(`${fn}: 'data' must be float32, got ${data.dtype}`);
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { chains, sigma } are required`);
  assertInteger(fn, 'chains', opts.chains, 1);
  assertNonNegative(fn, 'sigma', opts.sigma);
  const [ki, kn] = split(key, 2) as [Key, Key];
  const N = data.shape[0]!;
  return tf.tidy(() => {
    const idx = tf.cast(tf.minimum(tf.floor(tf.mul(uniform(ki, [opts.chains]), N)), N - 1), 'int32');
    const x = tf.gather(data, idx);
    return tf.add(x, normal(kn, x.shape, { std: opts.sigma }));
  });
}

/** Draws initial positions by an {@link InitScheme}; the caller owns the result. */
export function initChains(key: Key, scheme: InitScheme): tf.Tensor {
  const fn = 'initChains';
  if (scheme === null || typeof scheme !== 'object')
    throw new ValueError(`${fn}: the scheme must be an object { scheme, … }`);
  switch (scheme.scheme) {
    case 'uniform':
      return initUniform(key, scheme.shape, scheme);
    case 'uniformPlusNoise':
      checkShape(fn, scheme.shape);
      return initUniformPlusNoise(key, scheme.shape, scheme);
    case 'dataPlusNoise':
      return initDataPlusNoise(key, scheme.data, scheme);
    default:
      throw new ValueError(
        `${fn}: 'scheme' must be 'uniform', 'uniformPlusNoise' or 'dataPlusNoise', got ${String((scheme as { scheme: unknown }).scheme)}`,
      );
  }
}
