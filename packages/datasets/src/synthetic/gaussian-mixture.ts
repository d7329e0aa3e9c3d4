import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, type Key, ShapeError, split, ValueError } from '@walkjump/tensor';
import { checkPoints, checkSampleArgs, normalizeWeights, pickComponents } from '../internal/check.ts';
import { normals, uniforms } from '../internal/rng.ts';
import type { Distribution } from './types.ts';

/** Options of {@link gaussianMixture}: K means in R^d and either isotropic `stds` or full `covariances`. */
export interface GaussianMixtureOptions {
  /** Component means, K rows of length d. */
  readonly means: readonly (readonly number[])[];
  /** Isotropic standard deviations: one number for all components or one per component. */
  readonly stds?: number | readonly number[];
  /** Full covariance matrices, K of d×d (symmetric positive definite). Exclusive with `stds`. */
  readonly covariances?: readonly (readonly (readonly number[])[])[];
  /** Mixture weights (normalized here); equal when omitted. */
  readonly weights?: readonly number[];
}

/** A Gaussian mixture with exact density, score and posterior weights. */
export interface GaussianMixture extends Distribution {
  /** Dimension d. */
  readonly dim: number;
  /** Normalized weights, length K. */
  readonly weights: readonly number[];
  /** Means, K × d. */
  readonly means: readonly (readonly number[])[];
  /** Isotropic stds per component, or `null` for full-covariance mixtures. */
  readonly stds: readonly number[] | null;
  /** Samples `[n, d]` (float32); the caller owns the tensor. */
  sample(key: Key, n: number): tf.Tensor;
  /** Samples and the component each came from (int32 `[n]`); the caller owns both tensors. */
  sampleWithComponents(key: Key, n: number): { x: tf.Tensor; components: tf.Tensor };
  /** Exact log p(x) `[n]` for `x` `[n, d]`; the caller owns the result. */
  logProb(x: tf.Tensor): tf.Tensor;
  /** Exact score ∇ₓ log p(x) `[n, d]` = Σₖ rₖ(x) Σₖ⁻¹(μₖ − x); the caller owns the result. */
  score(x: tf.Tensor): tf.Tensor;
  /** Posterior component probabilities rₖ(x) = p(k | x) `[n, K]`; the caller owns the result. */
  posteriorWeights(x: tf.Tensor): tf.Tensor;
  /**
   * The mixture convolved with N(0, σ²I): the law of y = x + σε (covariances Σₖ + σ²I), whose
   * logProb/score are the exact smoothed density and score used by empirical Bayes (Tweedie).
   */
  noisy(sigma: number): GaussianMixture;
  /** Exact mean Σ wₖ μₖ (float64, length d). */
  mean(): Float64Array;
  /** Exact covariance Σ wₖ(Σₖ + μₖμₖᵀ) − m mᵀ (float64, row-major d×d). */
  covariance(): Float64Array;
}

interface Component {
  readonly mean: Float64Array;
  /** Isotropic variance, or null for full covariance. */
  readonly variance: number | null;
  readonly cov: Float64Array | null;
  readonly chol: Float64Array | null;
  readonly precision: Float64Array | null;
  readonly logDet: number;
}

/** Cholesky factor (lower, row-major) of an SPD matrix; null when not positive definite. */
function cholesky(a: Float64Array, d: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  return l;
}

/** Inverse of an SPD matrix from its Cholesky factor. */
function cholInverse(l: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  const col = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    // solve L y = e_c, then Lᵀ x = y
    for (let i = 0; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= l[i * d + k]! * col[k]!;
      col[i] = s / l[i * d + i]!;
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = col[i]!;
      for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * inv[k * d + c]!;
      inv[i * d + c] = s / l[i * d + i]!;
    }
  }
  return inv;
}

function fullComponent(fn: string, mean: Float64Array, cov: Float64Array, d: number, k: number): Component {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const a = cov[i * d + j]!;
      const b = cov[j * d + i]!;
      if (Math.abs(a - b) > 1e-9 * (Math.abs(a) + Math.abs(b) + 1)) {
        throw new ValueError(`${fn}: 'covariances[${k}]' must be symmetric, got entries ${a} and ${b} at (${i}, ${j})`);
      }
    }
  }
  const chol = cholesky(cov, d);
  if (chol === null) throw new ValueError(`${fn}: 'covariances[${k}]' must be positive definite`);
  let logDet = 0;
  for (let i = 0; i < d; i++) logDet += 2 * Math.log(chol[i * d + i]!);
  return { mean, variance: null, cov, chol, precision: cholInverse(chol, d), logDet };
}

function build(fn: string, comps: Component[], weights: number[], d: number): GaussianMixture {
  const K = comps.length;
  const iso = comps.every((c) => c.variance !== null);
  const LOG2PI = Math.log(2 * Math.PI);

  // Per-component log N(x; μₖ, Σₖ) + log wₖ as [n, K], and the per-component Σₖ⁻¹(μₖ − x).
  const parts = (x: tf.Tensor): { logits: tf.Tensor; pulls: tf.Tensor[] } => {
    const logits: tf.Tensor[] = [];
    const pulls: tf.Tensor[] = [];
    for (let k = 0; k < K; k++) {
      const c = comps[k]!;
      const diff = tf.sub(x, tf.tensor(Float32Array.from(c.mean), [1, d]));
      let pull: tf.Tensor;
      if (c.variance !== null) pull = tf.div(diff, -c.variance);
      else pull = tf.neg(tf.matMul(diff, tf.tensor(Float32Array.from(c.precision!), [d, d])));
      const maha = tf.neg(tf.sum(tf.mul(diff, pull), 1));
      logits.push(tf.sub(Math.log(weights[k]!) - 0.5 * (c.logDet + d * LOG2PI), tf.mul(0.5, maha)));
      pulls.push(pull);
    }
    return { logits: tf.stack(logits, 1), pulls };
  };

  const self: GaussianMixture = {
    eventShape: [d],
    dim: d,
    weights,
    means: comps.map((c) => Array.from(c.mean)),
    stds: iso ? comps.map((c) => Math.sqrt(c.variance!)) : null,
    sample(key, n) {
      return tf.tidy(() => {
        const { x, components } = self.sampleWithComponents(key, n);
        components.dispose();
        return x;
      });
    },
    sampleWithComponents(key, n) {
      checkSampleArgs(`${fn}.sample`, key, n);
      const [k1, k2] = split(key, 2) as [Key, Key];
      const which = pickComponents(uniforms(k1, n), weights);
      const z = normals(k2, n * d);
      const out = new Float32Array(n * d);
      for (let i = 0; i < n; i++) {
        const c = comps[which[i]!]!;
        const o = i * d;
        if (c.variance !== null) {
          const s = Math.sqrt(c.variance);
          for (let j = 0; j < d; j++) out[o + j] = c.mean[j]! + s * z[o + j]!;
        } else {
          const l = c.chol!;
          for (let r = 0; r < d; r++) {
            let v = c.mean[r]!;
            for (let q = 0; q <= r; q++) v += l[r * d + q]! * z[o + q]!;
            out[o + r] = v;
          }
        }
      }
      return { x: tf.tensor(out, [n, d], 'float32'), components: tf.tensor(which, [n], 'int32') };
    },
    logProb(x) {
      checkPoints(`${fn}.logProb`, x, d);
      return tf.tidy(() => tf.logSumExp(parts(x).logits, 1));
    },
    posteriorWeights(x) {
      checkPoints(`${fn}.posteriorWeights`, x, d);
      return tf.tidy(() => tf.softmax(parts(x).logits, 1));
    },
    score(x) {
      checkPoints(`${fn}.score`, x, d);
      return tf.tidy(() => {
        const { logits, pulls } = parts(x);
        const r = tf.unstack(tf.softmax(logits, 1), 1);
        let s: tf.Tensor = tf.zerosLike(x);
        for (let k = 0; k < K; k++) s = tf.add(s, tf.mul(tf.expandDims(r[k]!, 1), pulls[k]!));
        return s;
      });
    },
    noisy(sigma) {
      assertPositive(`${fn}.noisy`, 'sigma', sigma);
      const s2 = sigma * sigma;
      const next = comps.map((c, k) => {
        if (c.variance !== null) {
          const v = c.variance + s2;
          return { ...c, variance: v, logDet: d * Math.log(v) };
        }
        const cov = Float64Array.from(c.cov!);
        for (let i = 0; i < d; i++) cov[i * d + i]! += s2;
        return fullComponent(`${fn}.noisy`, c.mean, cov, d, k);
      });
      return build(fn, next, weights, d);
    },
    mean() {
      const m = new Float64Array(d);
      comps.forEach((c, k) => {
        for (let j = 0; j < d; j++) m[j]! += weights[k]! * c.mean[j]!;
      });
      return m;
    },
    covariance() {
      const m = self.mean();
      const cov = new Float64Array(d * d);
      comps.forEach((c, k) => {
        const w = weights[k]!;
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) {
            const within = c.variance !== null ? (i === j ? c.variance : 0) : c.cov![i * d + j]!;
            cov[i * d + j]! += w * (within + c.mean[i]! * c.mean[j]!);
          }
        }
      });
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j]! -= m[i]! * m[j]!;
      return cov;
    },
  };
  return self;
}

/**
 * A mixture of K Gaussians in R^d, p(x) = Σₖ wₖ N(x; μₖ, Σₖ), with exact sampling, log-density,
 * score ∇log p = Σₖ rₖ(x) Σₖ⁻¹(μₖ − x), posterior weights rₖ(x), and its noisy version
 * p_σ = p * N(0, σ²I) (the smoothed density of neural empirical Bayes, Saremi & Hyvärinen 2019,
 * eq. 2). Covariances are isotropic (`stds`, σₖ²I, default 1) or full (`covariances`).
 * Tensors take float32 `[n, d]`; everything returned is owned by the caller.
 * @throws ShapeError / ValueError naming the bad option.
 */
export function gaussianMixture(opts: GaussianMixtureOptions): GaussianMixture {
  const fn = 'gaussianMixture';
  const K = opts.means.length;
  if (K === 0) throw new ShapeError(`${fn}: 'means' must hold at least one mean, got []`);
  const d = opts.means[0]!.length;
  if (d === 0) throw new ShapeError(`${fn}: 'means' rows must be non-empty`);
  const means = opts.means.map((m, k) => {
    if (m.length !== d) throw new ShapeError(`${fn}: 'means[${k}]' must have length ${d}, got ${m.length}`);
    if (!m.every(Number.isFinite)) throw new ValueError(`${fn}: 'means[${k}]' must be finite`);
    return Float64Array.from(m);
  });
  const weights = normalizeWeights(fn, opts.weights, K);
  if (opts.stds !== undefined && opts.covariances !== undefined) {
    throw new ValueError(`${fn}: give either 'stds' or 'covariances', not both`);
  }
  let comps: Component[];
  if (opts.covariances !== undefined) {
    if (opts.covariances.length !== K)
      throw new ShapeError(`${fn}: 'covariances' must hold ${K} matrices, got ${opts.covariances.length}`);
    comps = opts.covariances.map((c, k) => {
      if (c.length !== d || c.some((row) => row.length !== d))
        throw new ShapeError(`${fn}: 'covariances[${k}]' must be ${d}×${d}`);
      return fullComponent(fn, means[k]!, Float64Array.from(c.flat()), d, k);
    });
  } else {
    const s = opts.stds ?? 1;
    const stds = typeof s === 'number' ? Array.from({ length: K }, () => s) : [...s];
    if (stds.length !== K) throw new ShapeError(`${fn}: 'stds' must have ${K} entries, got ${stds.length}`);
    comps = stds.map((sd, k) => {
      assertPositive(fn, `stds[${k}]`, sd);
      return {
        mean: means[k]!,
        variance: sd * sd,
        cov: null,
        chol: null,
        precision: null,
        logDet: 2 * d * Math.log(sd),
      };
    });
  }
  return build(fn, comps, weights, d);
}

/**
 * Eight Gaussians evenly spaced on a circle (the "8 Gaussians" toy of Grathwohl et al. 2019):
 * means radius·(cos 2πk/8, sin 2πk/8), isotropic `std`, equal weights. Defaults radius 2,
 * std 0.1 (modes 15 stds apart: well separated, yet reachable by Langevin walks).
 */
export function ring8(opts: { radius?: number; std?: number } = {}): GaussianMixture {
  const radius = opts.radius ?? 2;
  const std = opts.std ?? 0.1;
  assertPositive('ring8', 'radius', radius);
  assertPositive('ring8', 'std', std);
  const means = Array.from({ length: 8 }, (_, k) => [
    radius * Math.cos((2 * Math.PI * k) / 8),
    radius * Math.sin((2 * Math.PI * k) / 8),
  ]);
  return gaussianMixture({ means, stds: std });
}

/**
 * 25 Gaussians on a 5×5 grid (the "25 Gaussians" toy): means at spacing·{−2,…,2}², isotropic
 * `std`, equal weights. Defaults spacing 2, std 0.1.
 */
export function grid25(opts: { spacing?: number; std?: number } = {}): GaussianMixture {
  const spacing = opts.spacing ?? 2;
  const std = opts.std ?? 0.1;
  assertPositive('grid25', 'spacing', spacing);
  assertPositive('grid25', 'std', std);
  const means: number[][] = [];
  for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) means.push([spacing * i, spacing * j]);
  return gaussianMixture({ means, stds: std });
}

/**
 * The two-Gaussian benchmark of Bach's slides on sampling by denoising (seed 003, "Synthetic
 * experiments"): ½N(−3·1, τ²I) + ½N(3·1, τ²I) in R^d, so Δμ = 6·(1, …, 1). Defaults τ = 1.
 */
export function twoGaussians(opts: { d: number; tau?: number }): GaussianMixture {
  const { d } = opts;
  const tau = opts.tau ?? 1;
  if (!Number.isInteger(d) || d < 1)
    throw new ValueError(`twoGaussians: 'd' must be an integer >= 1, got ${String(d)}`);
  assertPositive('twoGaussians', 'tau', tau);
  return gaussianMixture({ means: [new Array<number>(d).fill(-3), new Array<number>(d).fill(3)], stds: tau });
}
