// Analytic targets and small metrics for the package's statistical tests (langevin may not depend on
// @walkjump/metrics, so sliced W1 and MMD are implemented here, in float64 on the host).
import * as tf from '@tensorflow/tfjs-core';
import { type Key, normal, split, uniform } from '@walkjump/tensor';

/**
 * An isotropic Gaussian mixture Σ_k w_k N(μ_k, τ²I) in R^d. `score(y, s)` is the exact score of the
 * mixture convolved with N(0, s²I), `denoiser(y, s)` = E[X | X + sN = y], `sample(key, n)` draws X.
 */
export function isotropicMixture(means: number[][], weights: number[], tau: number) {
  const K = means.length;
  const d = means[0]!.length;
  const logW = weights.map((w) => Math.log(w));
  const resp = (y: tf.Tensor, v: number, mu: tf.Tensor) =>
    tf.tidy(() => {
      const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(y, 1), tf.expandDims(mu, 0))), 2);
      const logits = tf.add(tf.div(d2, -2 * v), tf.tensor1d(logW));
      return tf.exp(tf.sub(logits, tf.logSumExp(logits, 1, true)));
    });
  const withMu = <T>(f: (mu: tf.Tensor) => T): T => {
    const mu = tf.tensor2d(means.flat(), [K, d]);
    try {
      return f(mu);
    } finally {
      mu.dispose();
    }
  };
  const score = (y: tf.Tensor, s: tf.Tensor | number): tf.Tensor =>
    withMu((mu) =>
      tf.tidy(() => {
        const v = tau * tau + (s as number) ** 2;
        return tf.div(tf.sub(tf.matMul(resp(y, v, mu) as tf.Tensor2D, mu as tf.Tensor2D), y), v);
      }),
    );
  const denoiser = (y: tf.Tensor, s: tf.Tensor | number): tf.Tensor =>
    withMu((mu) =>
      tf.tidy(() => {
        const v = tau * tau + (s as number) ** 2;
        const mk = tf.matMul(resp(y, v, mu) as tf.Tensor2D, mu as tf.Tensor2D);
        return tf.add(mk, tf.mul(tf.sub(y, mk), (tau * tau) / v));
      }),
    );
  const sample = (k: Key, n: number): Float64Array => {
    const [ku, kz] = split(k, 2) as [Key, Key];
    const u = uniform(ku, [n]);
    const z = normal(kz, [n, d]);
    const uu = u.dataSync();
    const zz = z.dataSync();
    tf.dispose([u, z]);
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let c = 0;
      let acc = weights[0]!;
      while (uu[i]! > acc && c < K - 1) acc += weights[++c]!;
      for (let j = 0; j < d; j++) out[i * d + j] = means[c]![j]! + tau * zz[i * d + j]!;
    }
    return out;
  };
  return { score, denoiser, sample, d };
}

/** Exact 1-D W1 between two equal-size samples (sorted matching). */
export function w1d(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]! - y[i]!);
  return s / x.length;
}

/** Projects n×d row-major samples on a unit direction. */
export function project(x: ArrayLike<number>, d: number, dir: ArrayLike<number>): Float64Array {
  const n = x.length / d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! * dir[j]!;
    out[i] = s;
  }
  return out;
}

/** Sliced W1 over `L` fixed pseudo-random unit directions (deterministic), equal sample sizes. */
export function slicedW1(a: ArrayLike<number>, b: ArrayLike<number>, d: number, L = 32): number {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed + 0.5) / 4294967296;
  };
  let total = 0;
  for (let l = 0; l < L; l++) {
    const dir = new Float64Array(d);
    let nrm = 0;
    for (let j = 0; j < d; j++) {
      const g = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
      dir[j] = g;
      nrm += g * g;
    }
    for (let j = 0; j < d; j++) dir[j]! /= Math.sqrt(nrm);
    total += w1d(project(a, d, dir), project(b, d, dir));
  }
  return total / L;
}

/** Unbiased MMD² with a Gaussian kernel of bandwidth `h` between n×d and m×d samples. */
export function mmd2(a: ArrayLike<number>, b: ArrayLike<number>, d: number, h: number): number {
  const n = a.length / d;
  const m = b.length / d;
  const k = (x: ArrayLike<number>, i: number, y: ArrayLike<number>, j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (x[i * d + c]! - y[j * d + c]!) ** 2;
    return Math.exp(-s / (2 * h * h));
  };
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) xx += k(a, i, a, j);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) yy += k(b, i, b, j);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(a, i, b, j);
  return xx / (n * (n - 1)) + yy / (m * (m - 1)) - (2 * xy) / (n * m);
}
