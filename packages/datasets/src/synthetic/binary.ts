import * as tf from '@tensorflow/tfjs-core';
import { type Key, ShapeError, ValueError } from '@walkjump/tensor';
import { checkPoints, checkSampleArgs } from '../internal/check.ts';
import { uniforms } from '../internal/rng.ts';
import type { Distribution } from './types.ts';

/** Independent Bernoulli coordinates with given means. */
export interface ProductBernoulli extends Distribution {
  /** Success probabilities pᵢ, length d. */
  readonly means: readonly number[];
  /** Samples `[n, d]` in {0, 1} (float32); caller owns the tensor. */
  sample(key: Key, n: number): tf.Tensor;
  /** Exact log p(x) = Σ xᵢ log pᵢ + (1 − xᵢ) log(1 − pᵢ) `[n]` for x ∈ {0,1}^d; caller owns it. */
  logProb(x: tf.Tensor): tf.Tensor;
}

/** The product-Bernoulli distribution ∏ Bernoulli(pᵢ) on {0, 1}^d, 0 < pᵢ < 1. */
export function productBernoulli(opts: { means: readonly number[] }): ProductBernoulli {
  const p = opts.means;
  const d = p.length;
  if (d === 0) throw new ShapeError(`productBernoulli: 'means' must not be empty`);
  p.forEach((v, i) => {
    if (!(v > 0 && v < 1)) throw new ValueError(`productBernoulli: 'means[${i}]' must be in (0, 1), got ${v}`);
  });
  return {
    eventShape: [d],
    means: [...p],
    sample(key, n) {
      checkSampleArgs('productBernoulli.sample', key, n);
      const u = uniforms(key, n * d);
      const out = new Float32Array(n * d);
      for (let i = 0; i < n * d; i++) out[i] = u[i]! < p[i % d]! ? 1 : 0;
      return tf.tensor(out, [n, d], 'float32');
    },
    logProb(x) {
      checkPoints('productBernoulli.logProb', x, d);
      return tf.tidy(() => {
        const lp = tf.tensor(Float32Array.from(p, Math.log), [1, d]);
        const lq = tf.tensor(
          Float32Array.from(p, (v) => Math.log1p(-v)),
          [1, d],
        );
        return tf.sum(tf.add(tf.mul(x, lp), tf.mul(tf.sub(1, x), lq)), 1);
      });
    },
  };
}

/** Exact quantities of an Ising model, by enumeration of all 2^d states. */
export interface IsingExact {
  /** log Z. */
  readonly logZ: number;
  /** E[sᵢ], length d. */
  readonly marginals: Float64Array;
  /** E[sᵢ sⱼ], row-major d×d (ones on the diagonal). */
  readonly correlations: Float64Array;
}

/** An Ising model on spins s ∈ {−1, +1}^d. */
export interface Ising extends Distribution {
  readonly dim: number;
  /** Symmetric couplings J (zero diagonal), row-major d×d. */
  readonly couplings: Float64Array;
  /** Fields h, length d. */
  readonly fields: Float64Array;
  /** Unnormalized log-density ½ sᵀJs + hᵀs `[n]` for s `[n, d]` (= −energy); caller owns it. */
  unnormalizedLogProb(s: tf.Tensor): tf.Tensor;
  /** Exact log p(s) `[n]` (needs d ≤ 16); caller owns it. */
  logProb(s: tf.Tensor): tf.Tensor;
  /** Exact log Z, marginals and pair correlations by enumeration (d ≤ 16; computed once). */
  exact(): IsingExact;
  /** Exact i.i.d. samples `[n, d]` in {−1, +1} (float32) by inverse CDF over all states (d ≤ 16). */
  sample(key: Key, n: number): tf.Tensor;
}

const MAX_ENUM = 16;

/**
 * An Ising model p(s) ∝ exp(½ sᵀJs + hᵀs) on s ∈ {−1, +1}^d with symmetric couplings J (zero
 * diagonal) and fields h; for d ≤ 16, exact log Z, marginals E[sᵢ], correlations E[sᵢsⱼ] and
 * exact samples by enumeration (the test targets of discrete samplers, e.g. Zhang et al. 2022).
 */
export function ising(opts: { couplings: readonly (readonly number[])[]; fields?: readonly number[] }): Ising {
  const fn = 'ising';
  const d = opts.couplings.length;
  if (d === 0) throw new ShapeError(`${fn}: 'couplings' must not be empty`);
  const J = new Float64Array(d * d);
  opts.couplings.forEach((row, i) => {
    if (row.length !== d)
      throw new ShapeError(`${fn}: 'couplings' must be ${d}×${d}, row ${i} has ${row.length} entries`);
    row.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new ValueError(`${fn}: 'couplings[${i}][${j}]' must be finite, got ${v}`);
      J[i * d + j] = v;
    });
  });
  for (let i = 0; i < d; i++) {
    if (J[i * d + i] !== 0)
      throw new ValueError(`${fn}: 'couplings' must have a zero diagonal, got ${J[i * d + i]} at (${i}, ${i})`);
    for (let j = 0; j < i; j++) {
      if (J[i * d + j] !== J[j * d + i])
        throw new ValueError(
          `${fn}: 'couplings' must be symmetric, got ${J[i * d + j]} and ${J[j * d + i]} at (${i}, ${j})`,
        );
    }
  }
  const h = Float64Array.from(opts.fields ?? new Array<number>(d).fill(0));
  if (h.length !== d) throw new ShapeError(`${fn}: 'fields' must have ${d} entries, got ${h.length}`);
  if (!h.every(Number.isFinite)) throw new ValueError(`${fn}: 'fields' must be finite`);
  let cache: (IsingExact & { logp: Float64Array }) | undefined;
  const needSmall = (what: string): void => {
    if (d > MAX_ENUM) throw new ValueError(`${fn}.${what}: exact enumeration needs d <= ${MAX_ENUM}, got d = ${d}`);
  };
  const stateLogP = (x: number): number => {
    let e = 0;
    for (let i = 0; i < d; i++) {
      const si = (x >> i) & 1 ? 1 : -1;
      e += h[i]! * si;
      for (let j = i + 1; j < d; j++) e += J[i * d + j]! * si * ((x >> j) & 1 ? 1 : -1);
    }
    return e;
  };
  const exact = (): IsingExact & { logp: Float64Array } => {
    needSmall('exact');
    if (cache !== undefined) return cache;
    const S = 1 << d;
    const logp = new Float64Array(S);
    let m = Number.NEGATIVE_INFINITY;
    for (let x = 0; x < S; x++) m = Math.max(m, (logp[x] = stateLogP(x)));
    let z = 0;
    for (let x = 0; x < S; x++) z += Math.exp(logp[x]! - m);
    const logZ = m + Math.log(z);
    const marg = new Float64Array(d);
    const corr = new Float64Array(d * d);
    for (let x = 0; x < S; x++) {
      const p = Math.exp((logp[x]! -= logZ));
      for (let i = 0; i < d; i++) {
        const si = (x >> i) & 1 ? 1 : -1;
        marg[i]! += p * si;
        for (let j = 0; j < d; j++) corr[i * d + j]! += p * si * ((x >> j) & 1 ? 1 : -1);
      }
    }
    cache = { logZ, marginals: marg, correlations: corr, logp };
    return cache;
  };
  const self: Ising = {
    eventShape: [d],
    dim: d,
    couplings: J,
    fields: h,
    unnormalizedLogProb(s) {
      checkPoints(`${fn}.unnormalizedLogProb`, s, d, 's');
      return tf.tidy(() => {
        const Js = tf.matMul(s, tf.tensor(Float32Array.from(J), [d, d]));
        return tf.add(
          tf.mul(0.5, tf.sum(tf.mul(Js, s), 1)),
          tf.squeeze(tf.matMul(s, tf.tensor(Float32Array.from(h), [d, 1])), [1]),
        );
      });
    },
    logProb(s) {
      const { logZ } = exact();
      return tf.tidy(() => {
        const u = self.unnormalizedLogProb(s);
        return tf.sub(u, logZ);
      });
    },
    exact() {
      const { logZ, marginals, correlations } = exact();
      return { logZ, marginals, correlations };
    },
    sample(key, n) {
      checkSampleArgs(`${fn}.sample`, key, n);
      const { logp } = exact();
      const S = logp.length;
      const cdf = new Float64Array(S);
      let acc = 0;
      for (let x = 0; x < S; x++) cdf[x] = acc += Math.exp(logp[x]!);
      const u = uniforms(key, n);
      const out = new Float32Array(n * d);
      for (let i = 0; i < n; i++) {
        const target = u[i]! * acc;
        let lo = 0;
        let hi = S - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid]! < target) lo = mid + 1;
          else hi = mid;
        }
        for (let j = 0; j < d; j++) out[i * d + j] = (lo >> j) & 1 ? 1 : -1;
      }
      return tf.tensor(out, [n, d], 'float32');
    },
  };
  return self;
}

/**
 * An Ising model on a `rows`×`cols` lattice with nearest-neighbour coupling `coupling` (J = β),
 * uniform field `field` (default 0) and optional periodic boundaries (default false).
 */
export function isingGrid(opts: {
  rows: number;
  cols: number;
  coupling: number;
  field?: number;
  periodic?: boolean;
}): Ising {
  const { rows, cols, coupling } = opts;
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new ValueError(`isingGrid: 'rows' and 'cols' must be integers >= 1, got ${rows} and ${cols}`);
  }
  const d = rows * cols;
  const J = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const link = (a: number, b: number): void => {
    if (a === b) return;
    J[a]![b] = coupling;
    J[b]![a] = coupling;
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (c + 1 < cols) link(i, i + 1);
      else if (opts.periodic === true && cols > 2) link(i, r * cols);
      if (r + 1 < rows) link(i, i + cols);
      else if (opts.periodic === true && rows > 2) link(i, c);
    }
  }
  return ising({ couplings: J, fields: new Array<number>(d).fill(opts.field ?? 0) });
}
