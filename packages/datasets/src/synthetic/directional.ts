import * as tf from '@tensorflow/tfjs-core';
import {
  assertNonNegative,
  assertPositive,
  foldIn,
  type Key,
  logSumExp as logSumExpTensor,
  ShapeError,
  split,
  ValueError,
} from '@walkjump/tensor';
import { checkPoints, checkSampleArgs, normalizeWeights, pickComponents } from '../internal/check.ts';
import { normals, uniforms } from '../internal/rng.ts';
import { logBesselI, logGamma, logSumExp, normalCdf, wrapAngle } from '../internal/special.ts';
import type { Distribution } from './types.ts';

// ---------------------------------------------------------------------------------------------
// von Mises on the circle

/**
 * Draws n von Mises angles VM(μ, κ) in (−π, π] by the rejection sampler of Best & Fisher (1979)
 * (uniform for κ = 0). Each round r draws its proposals from `foldIn(key, r)`. @internal
 */
export function vonMisesAngles(
  key: Key,
  n: number,
  mu: number | Float64Array,
  kappa: number | Float64Array,
): Float64Array {
  const out = new Float64Array(n);
  const kap = (i: number): number => (typeof kappa === 'number' ? kappa : kappa[i]!);
  const loc = (i: number): number => (typeof mu === 'number' ? mu : mu[i]!);
  let pending: number[] = Array.from({ length: n }, (_, i) => i);
  for (let round = 0; pending.length > 0; round++) {
    const m = pending.length;
    const u = uniforms(foldIn(key, round), 3 * m);
    const next: number[] = [];
    for (let j = 0; j < m; j++) {
      const i = pending[j]!;
      const k = kap(i);
      const u1 = u[3 * j]!;
      const u2 = u[3 * j + 1]!;
      const u3 = u[3 * j + 2]!;
      if (k < 1e-8) {
        out[i] = wrapAngle(loc(i) + Math.PI * (2 * u1 - 1));
        continue;
      }
      const tau = 1 + Math.sqrt(1 + 4 * k * k);
      const rho = (tau - Math.sqrt(2 * tau)) / (2 * k);
      const r = (1 + rho * rho) / (2 * rho);
      const z = Math.cos(Math.PI * u1);
      const f = (1 + r * z) / (r + z);
      const c = k * (r - f);
      if (c * (2 - c) - u2 > 0 || Math.log(c / u2) + 1 - c >= 0) {
        const th = Math.acos(Math.max(-1, Math.min(1, f)));
        out[i] = wrapAngle(loc(i) + (u3 > 0.5 ? th : -th));
      } else next.push(i);
    }
    pending = next;
  }
  return out;
}

/** The von Mises distribution of angles, with its exact density and CDF. */
export interface VonMises extends Distribution {
  /** Mean direction μ (radians). */
  readonly loc: number;
  /** Concentration κ ≥ 0. */
  readonly concentration: number;
  /** Angles `[n]` in (−π, π] (float32); the caller owns the tensor. */
  sample(key: Key, n: number): tf.Tensor;
  /** log p(θ) = κ cos(θ − μ) − log(2π I₀(κ)) for angles `[n]`; the caller owns the result. */
  logProb(theta: tf.Tensor): tf.Tensor;
  /** P(Θ ≤ θ) on (−π, π], by composite Gauss–Legendre integration of the density (float64). */
  cdf(theta: number): number;
}

const GL_X = [
  -0.9602898564975363, -0.7966664774136267, -0.525532409916329, -0.1834346424956498, 0.1834346424956498,
  0.525532409916329, 0.7966664774136267, 0.9602898564975363,
];
const GL_W = [
  0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.362683783378362, 0.362683783378362, 0.3137066458778873,
  0.2223810344533745, 0.1012285362903763,
];

/** ∫ₐᵇ f by composite 8-point Gauss–Legendre on `panels` panels. @internal */
export function integrate(f: (x: number) => number, a: number, b: number, panels = 64): number {
  const h = (b - a) / panels;
  let s = 0;
  for (let p = 0; p < panels; p++) {
    const mid = a + (p + 0.5) * h;
    for (let q = 0; q < 8; q++) s += GL_W[q]! * f(mid + 0.5 * h * GL_X[q]!);
  }
  return 0.5 * h * s;
}

/**
 * The von Mises distribution VM(μ, κ) on angles (Mardia & Jupp 2000, §3.5.4): density
 * exp(κ cos(θ − μ)) / (2π I₀(κ)); sampled by Best & Fisher (1979).
 */
export function vonMises(opts: { loc?: number; concentration: number }): VonMises {
  const loc = opts.loc ?? 0;
  const kappa = opts.concentration;
  if (!Number.isFinite(loc)) throw new ValueError(`vonMises: 'loc' must be a finite number, got ${String(loc)}`);
  assertNonNegative('vonMises', 'concentration', kappa);
  const logNorm = Math.log(2 * Math.PI) + logBesselI(0, kappa);
  const density = (t: number): number => Math.exp(kappa * Math.cos(t - loc) - logNorm);
  return {
    eventShape: [],
    loc,
    concentration: kappa,
    sample(key, n) {
      checkSampleArgs('vonMises.sample', key, n);
      return tf.tensor(Float32Array.from(vonMisesAngles(key, n, loc, kappa)), [n], 'float32');
    },
    logProb(theta) {
      return tf.tidy(() => tf.sub(tf.mul(kappa, tf.cos(tf.sub(theta, loc))), logNorm));
    },
    cdf(theta) {
      if (theta <= -Math.PI) return 0;
      if (theta >= Math.PI) return 1;
      return integrate(density, -Math.PI, theta, 64);
    },
  };
}

/** One von Mises component on a circle in R²: centre, radius, mean direction and concentration. */
export interface CircleComponent {
  /** Centre of the circle (default (0, 0)). */
  readonly centre?: readonly [number, number];
  /** Radius (default 1). */
  readonly radius?: number;
  /** Mean direction μ in radians, measured at the centre from the +x axis (default 0). */
  readonly loc?: number;
  /** Concentration κ ≥ 0. */
  readonly concentration: number;
}

/** A mixture of von Mises distributions on circles in R². */
export interface CircleVonMisesMixture extends Distribution {
  /** Normalized weights. */
  readonly weights: readonly number[];
  /** Points `[n, 2]` on the circles (float32); the caller owns the tensor. */
  sample(key: Key, n: number): tf.Tensor;
  /** Points and their component (int32 `[n]`); the caller owns both. */
  sampleWithComponents(key: Key, n: number): { x: tf.Tensor; components: tf.Tensor };
  /**
   * Exact log-density `[n]` with respect to arc length (so it integrates to 1 over the union of
   * circles): log Σₖ wₖ exp(κₖ cos(θₖ − μₖ)) / (2π rₖ I₀(κₖ)), where θₖ is the angle of x about
   * centre k; components whose circle x is not on (relative distance > 1e-3) contribute 0, so
   * points off every circle get −∞. The caller owns the result.
   */
  logProb(x: tf.Tensor): tf.Tensor;
}

/**
 * A mixture of von Mises distributions on circles embedded in R² (Ross et al. 2023, App. B.1:
 * the motivating example and the von Mises mixture). See {@link vonMisesMixture2} for the preset.
 */
export function circleVonMisesMixture(opts: {
  components: readonly CircleComponent[];
  weights?: readonly number[];
}): CircleVonMisesMixture {
  const fn = 'circleVonMisesMixture';
  const K = opts.components.length;
  if (K === 0) throw new ShapeError(`${fn}: 'components' must not be empty`);
  const comps = opts.components.map((c, k) => {
    const centre = c.centre ?? [0, 0];
    const radius = c.radius ?? 1;
    const loc = c.loc ?? 0;
    assertPositive(fn, `components[${k}].radius`, radius);
    assertNonNegative(fn, `components[${k}].concentration`, c.concentration);
    if (!Number.isFinite(loc) || !centre.every(Number.isFinite))
      throw new ValueError(`${fn}: 'components[${k}]' must have a finite centre and loc`);
    return {
      cx: centre[0],
      cy: centre[1],
      radius,
      loc,
      kappa: c.concentration,
      logNorm: Math.log(2 * Math.PI * radius) + logBesselI(0, c.concentration),
    };
  });
  const weights = normalizeWeights(fn, opts.weights, K);
  const self: CircleVonMisesMixture = {
    eventShape: [2],
    weights,
    sampleWithComponents(key, n) {
      checkSampleArgs(`${fn}.sample`, key, n);
      const [k1, k2] = split(key, 2) as [Key, Key];
      const which = pickComponents(uniforms(k1, n), weights);
      const mu = new Float64Array(n);
      const ka = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        mu[i] = comps[which[i]!]!.loc;
        ka[i] = comps[which[i]!]!.kappa;
      }
      const th = vonMisesAngles(k2, n, mu, ka);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const c = comps[which[i]!]!;
        out[2 * i] = c.cx + c.radius * Math.cos(th[i]!);
        out[2 * i + 1] = c.cy + c.radius * Math.sin(th[i]!);
      }
      return { x: tf.tensor(out, [n, 2], 'float32'), components: tf.tensor(which, [n], 'int32') };
    },
    sample(key, n) {
      const { x, components } = self.sampleWithComponents(key, n);
      components.dispose();
      return x;
    },
    logProb(x) {
      checkPoints(`${fn}.logProb`, x, 2);
      return tf.tidy(() => {
        const [px, py] = tf.unstack(x, 1) as [tf.Tensor, tf.Tensor];
        const terms = comps.map((c, k) => {
          const dx = tf.sub(px, c.cx);
          const dy = tf.sub(py, c.cy);
          const dist = tf.sqrt(tf.add(tf.square(dx), tf.square(dy)));
          const on = tf.lessEqual(tf.abs(tf.sub(dist, c.radius)), 1e-3 * c.radius);
          const lp = tf.add(
            Math.log(weights[k]!) - c.logNorm,
            tf.mul(c.kappa, tf.div(tf.add(tf.mul(dx, Math.cos(c.loc)), tf.mul(dy, Math.sin(c.loc))), dist)),
          );
          return tf.where(on, lp, tf.fill(lp.shape, Number.NEGATIVE_INFINITY));
        });
        return logSumExpTensor(tf.stack(terms, 1), 1); // −∞ (not NaN) for rows of −∞
      });
    },
  };
  return self;
}

/**
 * The von Mises mixture of Ross et al. (2023), App. B.1: a balanced mixture of two von Mises
 * distributions with concentration 2 on unit circles centred at (−2, 0) and (2, 0), with modes at
 * (−1, 0) and (1, 0) (mean directions 0 and π about their centres).
 */
export function vonMisesMixture2(opts: { concentration?: number } = {}): CircleVonMisesMixture {
  const kappa = opts.concentration ?? 2;
  return circleVonMisesMixture({
    components: [
      { centre: [-2, 0], radius: 1, loc: 0, concentration: kappa },
      { centre: [2, 0], radius: 1, loc: Math.PI, concentration: kappa },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// von Mises–Fisher on S^{d−1}

/** The von Mises–Fisher distribution on the unit sphere S^{d−1} ⊂ R^d. */
export interface VonMisesFisher extends Distribution {
  /** Unit mean direction μ (length d). */
  readonly mean: readonly number[];
  /** Concentration κ ≥ 0. */
  readonly concentration: number;
  /** Unit vectors `[n, d]` (float32); the caller owns the tensor. */
  sample(key: Key, n: number): tf.Tensor;
  /** log p(x) = κ μᵀx + log C_d(κ) w.r.t. surface measure, for unit x `[n, d]`; caller owns the result. */
  logProb(x: tf.Tensor): tf.Tensor;
  /** log C_d(κ) = (d/2 − 1) log κ − (d/2) log 2π − log I_{d/2−1}(κ). */
  readonly logNormalizer: number;
  /** Mean resultant length E[μᵀx] = A_d(κ) = I_{d/2}(κ) / I_{d/2−1}(κ). */
  readonly meanResultantLength: number;
}

/** A_d(κ) = I_{d/2}(κ)/I_{d/2−1}(κ), the mean resultant length of vMF(κ) on S^{d−1}. */
export function vmfMeanResultantLength(d: number, kappa: number): number {
  if (kappa === 0) return 0;
  return Math.exp(logBesselI(d / 2, kappa) - logBesselI(d / 2 - 1, kappa));
}

/**
 * The von Mises–Fisher distribution vMF(μ, κ) on S^{d−1} (Mardia & Jupp 2000, §9.3), sampled by
 * Wood's (1994) rejection algorithm for the component w = μᵀx (with the Beta((d−1)/2, (d−1)/2)
 * draw made from two χ²_{d−1} sums) and a Householder reflection taking e_d to μ.
 */
export function vonMisesFisher(opts: { mean: readonly number[]; concentration: number }): VonMisesFisher {
  const fn = 'vonMisesFisher';
  const d = opts.mean.length;
  const kappa = opts.concentration;
  if (d < 2) throw new ShapeError(`${fn}: 'mean' must have length >= 2, got ${d}`);
  assertNonNegative(fn, 'concentration', kappa);
  const norm = Math.hypot(...opts.mean);
  if (!(Math.abs(norm - 1) < 1e-6)) throw new ValueError(`${fn}: 'mean' must be a unit vector, got norm ${norm}`);
  const mu = Float64Array.from(opts.mean, (v) => v / norm);
  const logUnifArea = logGamma(d / 2) - Math.log(2) - (d / 2) * Math.log(Math.PI);
  const logC =
    kappa === 0
      ? logUnifArea
      : (d / 2 - 1) * Math.log(kappa) - (d / 2) * Math.log(2 * Math.PI) - logBesselI(d / 2 - 1, kappa);
  // Householder: H = I − 2 v vᵀ/‖v‖², v = e_d − μ, maps e_d to μ.
  const v = Float64Array.from(mu, (m) => -m);
  v[d - 1]! += 1;
  const vv = v.reduce((s, a) => s + a * a, 0);
  return {
    eventShape: [d],
    mean: Array.from(mu),
    concentration: kappa,
    logNormalizer: logC,
    meanResultantLength: vmfMeanResultantLength(d, kappa),
    sample(key, n) {
      checkSampleArgs(`${fn}.sample`, key, n);
      const [kw, kv] = split(key, 2) as [Key, Key];
      const w = woodW(kw, n, d, kappa);
      const z = normals(kv, n * (d - 1));
      const out = new Float32Array(n * d);
      const y = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d - 1; j++) s += z[i * (d - 1) + j]! ** 2;
        const r = Math.sqrt(Math.max(0, 1 - w[i]! * w[i]!)) / Math.sqrt(s);
        for (let j = 0; j < d - 1; j++) y[j] = r * z[i * (d - 1) + j]!;
        y[d - 1] = w[i]!;
        let dot = 0;
        if (vv > 1e-30) for (let j = 0; j < d; j++) dot += v[j]! * y[j]!;
        for (let j = 0; j < d; j++) out[i * d + j] = y[j]! - (vv > 1e-30 ? (2 * dot * v[j]!) / vv : 0);
      }
      return tf.tensor(out, [n, d], 'float32');
    },
    logProb(x) {
      checkPoints(`${fn}.logProb`, x, d);
      return tf.tidy(() =>
        tf.add(logC, tf.mul(kappa, tf.squeeze(tf.matMul(x, tf.tensor(Float32Array.from(mu), [d, 1])), [1]))),
      );
    },
  };
}

/** Wood (1994): n draws of w = μᵀx for vMF(κ) on S^{d−1}. */
function woodW(key: Key, n: number, d: number, kappa: number): Float64Array {
  const out = new Float64Array(n);
  const dm1 = d - 1;
  const b = dm1 / (2 * kappa + Math.sqrt(4 * kappa * kappa + dm1 * dm1));
  const x0 = (1 - b) / (1 + b);
  const c = kappa * x0 + dm1 * Math.log(1 - x0 * x0);
  let pending: number[] = Array.from({ length: n }, (_, i) => i);
  for (let round = 0; pending.length > 0; round++) {
    const m = pending.length;
    const [ka, kb] = split(foldIn(key, round), 2) as [Key, Key];
    const z = normals(ka, 2 * m * dm1);
    const u = uniforms(kb, m);
    const next: number[] = [];
    for (let j = 0; j < m; j++) {
      let g1 = 0;
      let g2 = 0;
      for (let q = 0; q < dm1; q++) {
        g1 += z[2 * j * dm1 + q]! ** 2;
        g2 += z[(2 * j + 1) * dm1 + q]! ** 2;
      }
      const beta = g1 / (g1 + g2);
      const w = (1 - (1 + b) * beta) / (1 - (1 - b) * beta);
      if (kappa * w + dm1 * Math.log(1 - x0 * w) - c >= Math.log(u[j]!)) out[pending[j]!] = w;
      else next.push(pending[j]!);
    }
    pending = next;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Projected normal mixtures on S²

/** A mixture of projected normal distributions on S² ⊂ R³. */
export interface ProjectedNormalMixture extends Distribution {
  /** Unit vectors `[n, 3]` (float32); the caller owns the tensor. */
  sample(key: Key, n: number): tf.Tensor;
  /**
   * Exact log-density `[n]` on S² w.r.t. surface area, for unit x `[n, 3]`. Computed in float64
   * JavaScript (reads `x` back with `dataSync`; not for hot loops). The caller owns the result.
   */
  logProb(x: tf.Tensor): tf.Tensor;
  /** The same density for one unit vector, in float64. */
  logDensity(x: readonly [number, number, number]): number;
}

/** log of the projected-normal density on S² of N(m, I) (m in std units), at t = xᵀm (Mardia & Jupp 2000, §9.3.3). */
function logProjectedNormal3(mm: number, a: number): number {
  // p(x) = (2π)^{-3/2} exp(−(‖m‖² − a²)/2) · [(1 + a²)√(2π) Φ(a) + a exp(−a²/2)]
  let logBracket: number;
  if (a > -12) {
    logBracket = Math.log((1 + a * a) * Math.sqrt(2 * Math.PI) * normalCdf(a) + a * Math.exp(-0.5 * a * a));
  } else {
    // Asymptotic series of (1 + x²) R(x) − x for the Mills ratio R, x = −a > 12, avoiding cancellation.
    const x = -a;
    const x2 = 1 / (x * x);
    const s = (2 - x2 * (12 - x2 * (90 - x2 * (840 - x2 * (9450 - x2 * 124740))))) / (x * x * x);
    logBracket = -0.5 * a * a + Math.log(s);
  }
  return -1.5 * Math.log(2 * Math.PI) - 0.5 * (mm - a * a) + logBracket;
}

/**
 * A mixture of projected normal distributions on S²: x = z/‖z‖ with z ~ N(μₖ, sₖ²I) (Ross et al.
 * 2023, App. B.1, manifold arithmetic: {@link projectedNormalPair}). The density on the sphere is
 * exact in closed form (the radial integral ∫ r² N(rx; μ, s²I) dr).
 */
export function projectedNormalMixture(opts: {
  means: readonly (readonly number[])[];
  stds?: number | readonly number[];
  weights?: readonly number[];
}): ProjectedNormalMixture {
  const fn = 'projectedNormalMixture';
  const K = opts.means.length;
  if (K === 0) throw new ShapeError(`${fn}: 'means' must not be empty`);
  opts.means.forEach((m, k) => {
    if (m.length !== 3) throw new ShapeError(`${fn}: 'means[${k}]' must have length 3, got ${m.length}`);
    if (!m.every(Number.isFinite)) throw new ValueError(`${fn}: 'means[${k}]' must be finite`);
  });
  const s = opts.stds ?? 1;
  const stds = typeof s === 'number' ? Array.from({ length: K }, () => s) : [...s];
  if (stds.length !== K) throw new ShapeError(`${fn}: 'stds' must have ${K} entries, got ${stds.length}`);
  stds.forEach((v, k) => {
    assertPositive(fn, `stds[${k}]`, v);
  });
  const weights = normalizeWeights(fn, opts.weights, K);
  const logDensity = (x: readonly [number, number, number]): number => {
    const terms = opts.means.map((m, k) => {
      const sd = stds[k]!;
      const mm = (m[0]! ** 2 + m[1]! ** 2 + m[2]! ** 2) / (sd * sd);
      const a = (x[0] * m[0]! + x[1] * m[1]! + x[2] * m[2]!) / sd;
      return Math.log(weights[k]!) + logProjectedNormal3(mm, a);
    });
    return logSumExp(terms);
  };
  return {
    eventShape: [3],
    logDensity,
    sample(key, n) {
      checkSampleArgs(`${fn}.sample`, key, n);
      const [k1, k2] = split(key, 2) as [Key, Key];
      const which = pickComponents(uniforms(k1, n), weights);
      const z = normals(k2, 3 * n);
      const out = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) {
        const k = which[i]!;
        const m = opts.means[k]!;
        const v = [0, 1, 2].map((j) => m[j]! + stds[k]! * z[3 * i + j]!) as [number, number, number];
        const r = Math.hypot(...v);
        for (let j = 0; j < 3; j++) out[3 * i + j] = v[j]! / r;
      }
      return tf.tensor(out, [n, 3], 'float32');
    },
    logProb(x) {
      checkPoints(`${fn}.logProb`, x, 3);
      const a = x.dataSync();
      const n = x.shape[0]!;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = logDensity([a[3 * i]!, a[3 * i + 1]!, a[3 * i + 2]!]);
      return tf.tensor(out, [n], 'float32');
    },
  };
}

/** The projected-normal pair of Ross et al. (2023), App. B.1: ½PN((1,0,0), I) + ½PN((−1,0,0), I). */
export function projectedNormalPair(): ProjectedNormalMixture {
  return projectedNormalMixture({
    means: [
      [1, 0, 0],
      [-1, 0, 0],
    ],
    stds: 1,
  });
}

// ---------------------------------------------------------------------------------------------
// Bivariate von Mises sine model on the torus

/** The bivariate von Mises sine model on the torus T² = (−π, π]². */
export interface SineBivariateVonMises extends Distribution {
  /** Angle pairs (φ, ψ) `[n, 2]` in (−π, π] (float32); the caller owns the tensor. */
  sample(key: Key, n: number): tf.Tensor;
  /** Exact log p(φ, ψ) `[n]` for angles `[n, 2]`; the caller owns the result. */
  logProb(angles: tf.Tensor): tf.Tensor;
  /** Unnormalized log-density at one (φ, ψ), float64. */
  logDensity(phi: number, psi: number): number;
  /** log C = log ∫∫ exp(κ₁cos(φ−μ₁) + κ₂cos(ψ−μ₂) + λ sin(φ−μ₁) sin(ψ−μ₂)) dφ dψ. */
  readonly logNormalizer: number;
}

/**
 * log normalizer of the sine model: by the series (Singh, Hnizdo & Demchuk 2002, eq. 3)
 * C = 4π² Σₘ C(2m, m) (λ²/(4κ₁κ₂))ᵐ Iₘ(κ₁) Iₘ(κ₂) when κ₁κ₂ > 0, else by the one-dimensional
 * integral C = 2π ∫ exp(κ₁cos φ) I₀(√(κ₂² + λ² sin² φ)) dφ (periodic trapezoid rule, spectrally exact). @internal
 */
export function sineLogNormalizer(k1: number, k2: number, lam: number): number {
  if (lam === 0) return 2 * Math.log(2 * Math.PI) + logBesselI(0, k1) + logBesselI(0, k2);
  if (k1 > 0 && k2 > 0) {
    const logr = Math.log((lam * lam) / (4 * k1 * k2));
    const terms: number[] = [];
    for (let m = 0; m < 10000; m++) {
      const t = logGamma(2 * m + 1) - 2 * logGamma(m + 1) + m * logr + logBesselI(m, k1) + logBesselI(m, k2);
      terms.push(t);
      if (m > 5 && t < terms[0]! - 40 && t < terms[m - 1]!) break;
    }
    return 2 * Math.log(2 * Math.PI) + logSumExp(terms);
  }
  const N = 512;
  const vals: number[] = [];
  for (let i = 0; i < N; i++) {
    const p = -Math.PI + (2 * Math.PI * i) / N;
    vals.push(k1 * Math.cos(p) + logBesselI(0, Math.sqrt(k2 * k2 + lam * lam * Math.sin(p) ** 2)));
  }
  return Math.log(2 * Math.PI) + Math.log((2 * Math.PI) / N) + logSumExp(vals);
}

/**
 * The bivariate von Mises sine model (Singh, Hnizdo & Demchuk 2002) on the torus:
 * p(φ, ψ) ∝ exp(κ₁cos(φ−μ₁) + κ₂cos(ψ−μ₂) + λ sin(φ−μ₁) sin(ψ−μ₂)). Sampled exactly by rejection:
 * φ from VM(μ₁, κ₁), accepted with probability I₀(b(φ))/I₀(√(κ₂² + λ²)), b(φ) = √(κ₂² + λ² sin²(φ−μ₁))
 * (the marginal of φ is ∝ exp(κ₁cos(φ−μ₁)) I₀(b(φ))), then ψ | φ ~ VM(μ₂ + atan2(λ sin(φ−μ₁), κ₂), b(φ)).
 * Normalizer by the series of Singh et al. (2002).
 */
export function sineBivariateVonMises(opts: {
  loc?: readonly [number, number];
  concentration: readonly [number, number];
  correlation?: number;
}): SineBivariateVonMises {
  const fn = 'sineBivariateVonMises';
  const [mu1, mu2] = opts.loc ?? [0, 0];
  const [k1, k2] = opts.concentration;
  const lam = opts.correlation ?? 0;
  assertNonNegative(fn, 'concentration[0]', k1);
  assertNonNegative(fn, 'concentration[1]', k2);
  if (!Number.isFinite(lam)) throw new ValueError(`${fn}: 'correlation' must be a finite number, got ${String(lam)}`);
  if (!Number.isFinite(mu1) || !Number.isFinite(mu2)) throw new ValueError(`${fn}: 'loc' must be finite`);
  const logC = sineLogNormalizer(k1, k2, lam);
  const logI0max = logBesselI(0, Math.sqrt(k2 * k2 + lam * lam));
  const logDensity = (phi: number, psi: number): number =>
    k1 * Math.cos(phi - mu1) + k2 * Math.cos(psi - mu2) + lam * Math.sin(phi - mu1) * Math.sin(psi - mu2);
  return {
    eventShape: [2],
    logNormalizer: logC,
    logDensity,
    sample(key, n) {
      checkSampleArgs(`${fn}.sample`, key, n);
      const phi = new Float64Array(n);
      let filled = 0;
      for (let round = 0; filled < n; round++) {
        const [kp, ku] = split(foldIn(key, round), 2) as [Key, Key];
        const m = Math.max(16, Math.ceil((n - filled) * 1.5));
        const prop = vonMisesAngles(kp, m, mu1, k1);
        const u = uniforms(ku, m);
        for (let j = 0; j < m && filled < n; j++) {
          const b = Math.sqrt(k2 * k2 + lam * lam * Math.sin(prop[j]! - mu1) ** 2);
          if (Math.log(u[j]!) <= logBesselI(0, b) - logI0max) phi[filled++] = prop[j]!;
        }
      }
      const loc2 = new Float64Array(n);
      const conc = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const s = lam * Math.sin(phi[i]! - mu1);
        loc2[i] = mu2 + Math.atan2(s, k2);
        conc[i] = Math.sqrt(k2 * k2 + s * s);
      }
      const psi = vonMisesAngles(foldIn(key, 0x7fffffff), n, loc2, conc);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        out[2 * i] = phi[i]!;
        out[2 * i + 1] = psi[i]!;
      }
      return tf.tensor(out, [n, 2], 'float32');
    },
    logProb(angles) {
      checkPoints(`${fn}.logProb`, angles, 2, 'angles');
      return tf.tidy(() => {
        const [p, q] = tf.unstack(angles, 1) as [tf.Tensor, tf.Tensor];
        const a = tf.sub(p, mu1);
        const b = tf.sub(q, mu2);
        return tf.sub(
          tf.addN([tf.mul(k1, tf.cos(a)), tf.mul(k2, tf.cos(b)), tf.mul(lam, tf.mul(tf.sin(a), tf.sin(b)))]),
          logC,
        );
      });
    },
  };
}
