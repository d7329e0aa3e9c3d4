import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, ShapeError, ValueError } from '@walkjump/tensor';
import type { LogProbFn } from './types.ts';

/** Largest d that {@link exactDistribution} enumerates (2^20 states). */
export const MAX_ENUMERABLE_DIM = 20;

/**
 * An exactly enumerated distribution on {−1, 1}^d. State k ∈ [0, 2^d) is the vector with y_i = +1 iff
 * bit i of k is set (so y_0 is the least significant bit). Plain float64 arrays; no tensors.
 */
export interface ExactDistribution {
  readonly d: number;
  /** log Z = log Σ_y exp f(y). */
  readonly logZ: number;
  /** Normalized log-probabilities log p(y_k) = f(y_k) − log Z, length 2^d. */
  readonly logProbs: Float64Array;
  /** Probabilities p(y_k), length 2^d, summing to 1. */
  readonly probs: Float64Array;
}

/**
 * All 2^d states of {−1, 1}^d in the order of {@link ExactDistribution} (state k has y_i = +1 iff bit i of k),
 * float32 [2^d, d]. The caller owns the returned tensor.
 */
export function enumerateStates(d: number): tf.Tensor {
  assertInteger('enumerateStates', 'd', d, 1);
  if (d > MAX_ENUMERABLE_DIM) throw new ValueError(`enumerateStates: 'd' must be <= ${MAX_ENUMERABLE_DIM}, got ${d}`);
  const K = 2 ** d;
  const v = new Float32Array(K * d);
  for (let k = 0; k < K; k++) for (let i = 0; i < d; i++) v[k * d + i] = (k >> i) & 1 ? 1 : -1;
  return tf.tensor2d(v, [K, d]);
}

/**
 * Enumerates p(y) ∝ exp f(y) over all of {−1, 1}^d (d ≤ 20; 2^d evaluations of f in chunks of `batch` rows)
 * and normalizes in float64: the exact log Z, probabilities, and through {@link exactMoments} the marginals
 * E[y_i] and pair correlations E[y_i y_j]. Returns plain arrays (reads f's values back); owns no tensors.
 */
export function exactDistribution(f: LogProbFn, d: number, opts: { batch?: number } = {}): ExactDistribution {
  const fn = 'exactDistribution';
  if (typeof f !== 'function') throw new ValueError(`${fn}: 'f' must be a log-probability function, got ${typeof f}`);
  assertInteger(fn, 'd', d, 1);
  if (d > MAX_ENUMERABLE_DIM) throw new ValueError(`${fn}: 'd' must be <= ${MAX_ENUMERABLE_DIM}, got ${d}`);
  const batch = opts.batch ?? 4096;
  assertInteger(fn, 'batch', batch, 1);
  const K = 2 ** d;
  const logProbs = new Float64Array(K);
  const all = enumerateStates(d);
  try {
    for (let s = 0; s < K; s += batch) {
      const n = Math.min(batch, K - s);
      const vals = tf.tidy(() => {
        const out = f(tf.slice(all, [s, 0], [n, d]));
        if (out.rank !== 1 || out.shape[0] !== n) {
          throw new ShapeError(`${fn}: 'f' must return shape [${n}], got [${out.shape.join(', ')}]`);
        }
        return out;
      });
      const v = vals.dataSync();
      vals.dispose();
      for (let i = 0; i < n; i++) logProbs[s + i] = v[i]!;
    }
  } finally {
    all.dispose();
  }
  let m = -Infinity;
  for (let k = 0; k < K; k++) m = Math.max(m, logProbs[k]!);
  if (!Number.isFinite(m)) throw new ValueError(`${fn}: 'f' must be finite somewhere, got max ${m}`);
  let z = 0;
  for (let k = 0; k < K; k++) z += Math.exp(logProbs[k]! - m);
  const logZ = m + Math.log(z);
  const probs = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    logProbs[k] = logProbs[k]! - logZ;
    probs[k] = Math.exp(logProbs[k]!);
  }
  return { d, logZ, logProbs, probs };
}

/**
 * Exact first and second moments of an enumerated distribution: `means[i]` = E[y_i] and
 * `correlations[i·d + j]` = E[y_i y_j] (row-major d×d, ones on the diagonal). Plain float64 arrays.
 */
export function exactMoments(dist: ExactDistribution): { means: Float64Array; correlations: Float64Array } {
  const { d, probs } = dist;
  const means = new Float64Array(d);
  const correlations = new Float64Array(d * d);
  const y = new Int8Array(d);
  for (let k = 0; k < probs.length; k++) {
    const p = probs[k]!;
    for (let i = 0; i < d; i++) y[i] = (k >> i) & 1 ? 1 : -1;
    for (let i = 0; i < d; i++) {
      means[i] = means[i]! + p * y[i]!;
      for (let j = 0; j < d; j++) correlations[i * d + j] = correlations[i * d + j]! + p * y[i]! * y[j]!;
    }
  }
  return { means, correlations };
}

/**
 * Histogram of samples [N, d] in {−1, 1}^d (d ≤ 20) over the states of {@link ExactDistribution}: the
 * empirical probabilities, length 2^d. Reads the samples back (not for hot loops); owns no tensors.
 */
export function empiricalDistribution(samples: tf.Tensor): Float64Array {
  const fn = 'empiricalDistribution';
  if (samples.rank !== 2)
    throw new ShapeError(`${fn}: 'samples' must have shape [N, d], got [${samples.shape.join(', ')}]`);
  const [N, d] = samples.shape as [number, number];
  if (d > MAX_ENUMERABLE_DIM) throw new ValueError(`${fn}: d must be <= ${MAX_ENUMERABLE_DIM}, got ${d}`);
  const v = samples.dataSync();
  const h = new Float64Array(2 ** d);
  for (let n = 0; n < N; n++) {
    let k = 0;
    for (let i = 0; i < d; i++) if (v[n * d + i]! > 0) k |= 1 << i;
    h[k] = h[k]! + 1 / N;
  }
  return h;
}

/** Total-variation distance ½ Σ_k |p_k − q_k| between two distributions on the same states. */
export function totalVariation(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new ShapeError(`totalVariation: lengths differ (${p.length} vs ${q.length})`);
  let s = 0;
  for (let k = 0; k < p.length; k++) s += Math.abs((p[k] as number) - (q[k] as number));
  return s / 2;
}

/**
 * Expected total variation between p and the empirical distribution of N independent draws from p, to
 * leading order: E|p̂_k − p_k| ≈ √(2 p_k(1 − p_k)/(πN)) (normal approximation), so
 * E[TV] ≈ Σ_k √(p_k(1 − p_k)/(2πN)); ≤ √(K/(2πN)) for K states (equality when p is uniform).
 */
export function expectedEmpiricalTV(p: ArrayLike<number>, N: number): number {
  assertInteger('expectedEmpiricalTV', 'N', N, 1);
  let s = 0;
  for (let k = 0; k < p.length; k++) {
    const pk = p[k] as number;
    s += Math.sqrt((pk * (1 - pk)) / (2 * Math.PI * N));
  }
  return s;
}
