import * as tf from '@tensorflow/tfjs-core';
import {
  assertFinite,
  assertInteger,
  assertPositive,
  type Key,
  normal,
  ShapeError,
  softplus,
  ValueError,
} from '@walkjump/tensor';
import type { DiscreteTarget, GradFn, LogProbFn } from './types.ts';

/** A target on {−1, 1}^d with its dimension and an explicit gradient on R^d. */
export interface DiscreteModel extends DiscreteTarget {
  readonly d: number;
  readonly logProb: LogProbFn;
  readonly grad: GradFn;
}

const checkInput = (fn: string, y: tf.Tensor, d: number): void => {
  if (y.rank !== 2 || y.shape[1] !== d) {
    throw new ShapeError(`${fn}: states must have shape [B, ${d}], got [${y.shape.join(', ')}]`);
  }
};

const finiteArray = (fn: string, name: string, a: ArrayLike<number>): Float32Array => {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ValueError(`${fn}: '${name}[${i}]' must be a finite number, got ${String(v)}`);
    out[i] = v;
  }
  return out;
};

/** Maps {0, 1} data to spins {−1, 1} (y = 2x − 1). Elementwise; the caller owns the result. */
export function toSpins(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.mul(tf.cast(x, 'float32'), 2), 1));
}

/** Maps spins {−1, 1} to {0, 1} data (x = (y + 1)/2). Elementwise; the caller owns the result. */
export function toBinary(y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(tf.add(tf.cast(y, 'float32'), 1), 2));
}

/**
 * Product-Bernoulli target p(y) = Π_i P(y_i) with P(y_i = +1) = p_i, written f(y) = hᵀy with
 * h_i = ½ log(p_i / (1 − p_i)). Exact: E[y_i] = tanh h_i = 2p_i − 1 and log Z = Σ_i log 2cosh h_i.
 * Input states [B, d] → [B]; tensors are created per call, so the model owns none.
 */
export function productBernoulli(
  p: ArrayLike<number>,
): DiscreteModel & { readonly logZ: number; readonly means: Float64Array } {
  const fn = 'productBernoulli';
  const d = p.length;
  assertInteger(fn, 'p.length', d);
  const h = new Float32Array(d);
  const means = new Float64Array(d);
  let logZ = 0;
  for (let i = 0; i < d; i++) {
    const pi = p[i];
    if (typeof pi !== 'number' || !(pi > 0 && pi < 1))
      throw new ValueError(`${fn}: 'p[${i}]' must be in (0, 1), got ${String(pi)}`);
    const hi = 0.5 * Math.log(pi / (1 - pi));
    h[i] = hi;
    means[i] = 2 * pi - 1;
    logZ += Math.abs(hi) + Math.log1p(Math.exp(-2 * Math.abs(hi)));
  }
  return {
    d,
    logZ,
    means,
    logProb: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => tf.sum(tf.mul(y, tf.tensor1d(h)), 1));
    },
    grad: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => tf.mul(tf.onesLike(y), tf.tensor1d(h)));
    },
  };
}

/** Couplings and fields of an Ising model: J symmetric d×d with zero diagonal (row-major), h of length d. */
export interface IsingParams {
  readonly J: ArrayLike<number> | readonly (readonly number[])[];
  readonly h?: ArrayLike<number>;
}

/**
 * Ising model f(y) = ½ yᵀJy + hᵀy on {−1, 1}^d (the Boltzmann machine of Grathwohl et al. 2021 and
 * Zhang et al. 2022), with gradient ∇f(y) = Jy + h on R^d. `J` must be symmetric with zero diagonal
 * (given as d×d nested arrays or a flat row-major array of d² numbers). For d ≤ 16, exact answers come
 * from {@link exactDistribution}. Input states [B, d] → [B]; the model owns no tensors.
 */
export function ising(params: IsingParams): DiscreteModel & { readonly J: Float32Array; readonly h: Float32Array } {
  const fn = 'ising';
  if (params === null || typeof params !== 'object') throw new ValueError(`${fn}: options { J, h? } are required`);
  const rows = params.J as readonly (readonly number[])[];
  const flat: number[] =
    Array.isArray(rows) && Array.isArray(rows[0])
      ? rows.flatMap((r) => Array.from(r))
      : Array.from(params.J as ArrayLike<number>);
  const d = Math.round(Math.sqrt(flat.length));
  if (d < 1 || d * d !== flat.length) throw new ShapeError(`${fn}: 'J' must be d×d, got ${flat.length} entries`);
  const J = finiteArray(fn, 'J', flat);
  for (let i = 0; i < d; i++) {
    if (J[i * d + i] !== 0)
      throw new ValueError(`${fn}: 'J' must have a zero diagonal, got J[${i}][${i}] = ${J[i * d + i]}`);
    for (let j = 0; j < i; j++) {
      if (Math.abs(J[i * d + j]! - J[j * d + i]!) > 1e-6)
        throw new ValueError(
          `${fn}: 'J' must be symmetric, J[${i}][${j}] = ${J[i * d + j]} but J[${j}][${i}] = ${J[j * d + i]}`,
        );
    }
  }
  const h = params.h === undefined ? new Float32Array(d) : finiteArray(fn, 'h', params.h);
  if (h.length !== d) throw new ShapeError(`${fn}: 'h' must have length ${d}, got ${h.length}`);
  return {
    d,
    J,
    h,
    logProb: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => {
        const Jy = tf.matMul(y, tf.tensor2d(J, [d, d]));
        return tf.sum(tf.mul(y, tf.add(tf.mul(Jy, 0.5), tf.tensor1d(h))), 1);
      });
    },
    grad: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => tf.add(tf.matMul(y, tf.tensor2d(J, [d, d])), tf.tensor1d(h)));
    },
  };
}

/**
 * An Ising model with random couplings J_ij = J_ji ~ N(0, scale²/d) (i ≠ j) and fields h_i ~ N(0, fieldScale²),
 * drawn from `key` (the test models of the samplers' statistical tests). See {@link ising}.
 */
export function randomIsing(
  k: Key,
  d: number,
  opts: { scale?: number; fieldScale?: number } = {},
): ReturnType<typeof ising> {
  assertInteger('randomIsing', 'd', d, 1);
  const scale = opts.scale ?? 1;
  const fieldScale = opts.fieldScale ?? 0.5;
  assertFinite('randomIsing', 'scale', scale);
  assertFinite('randomIsing', 'fieldScale', fieldScale);
  const z = normal(k, [d * d + d]);
  const v = z.dataSync();
  z.dispose();
  const J = new Float32Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const c = (v[i * d + j]! * scale) / Math.sqrt(d);
      J[i * d + j] = c;
      J[j * d + i] = c;
    }
  }
  const h = new Float32Array(d);
  for (let i = 0; i < d; i++) h[i] = v[d * d + i]! * fieldScale;
  return ising({ J, h });
}

/** Options of {@link isingLattice}. */
export interface IsingLatticeOptions {
  /** Side L of the L×L lattice (d = L²), ≥ 2. */
  readonly L: number;
  /** Coupling J (ferromagnetic when > 0). Critical point of the infinite lattice: J_c = ½ log(1 + √2) ≈ 0.4407. */
  readonly J: number;
  /** Uniform field h (default 0). */
  readonly h?: number;
}

/**
 * The 2-D Ising lattice with periodic boundaries, f(y) = J Σ_⟨ij⟩ y_i y_j + h Σ_i y_i over nearest-neighbour
 * bonds (each counted once: right and down neighbours), states flattened row-major to d = L². Its gradient
 * J Σ_{j∼i} y_j + h on R^d uses four rolls, O(d) per state, so it scales to benchmark sizes. For L = 2 the
 * periodic right and left neighbour coincide and that bond counts twice (the standard convention).
 * Input states [B, L²] → [B]; the model owns no tensors.
 */
export function isingLattice(opts: IsingLatticeOptions): DiscreteModel & { readonly L: number } {
  const fn = 'isingLattice';
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { L, J, h? } are required`);
  assertInteger(fn, 'L', opts.L, 2);
  assertFinite(fn, 'J', opts.J);
  const h = opts.h ?? 0;
  assertFinite(fn, 'h', h);
  const { L, J } = opts;
  const d = L * L;
  const grid = (y: tf.Tensor): tf.Tensor => tf.reshape(y, [-1, L, L]);
  // roll by +1 along an axis of [B, L, L]: out[..., i, ...] = in[..., i − 1, ...]
  const roll = (g: tf.Tensor, axis: 1 | 2, shift: 1 | -1): tf.Tensor => {
    const s = shift === 1 ? L - 1 : 1;
    const a = axis === 1 ? tf.slice(g, [0, s, 0], [-1, L - s, L]) : tf.slice(g, [0, 0, s], [-1, L, L - s]);
    const b = axis === 1 ? tf.slice(g, [0, 0, 0], [-1, s, L]) : tf.slice(g, [0, 0, 0], [-1, L, s]);
    return tf.concat([a, b], axis);
  };
  return {
    d,
    L,
    logProb: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => {
        const g = grid(y);
        const nb = tf.add(roll(g, 1, 1), roll(g, 2, 1));
        return tf.add(tf.mul(tf.sum(tf.mul(g, nb), [1, 2]), J), tf.mul(tf.sum(y, 1), h));
      });
    },
    grad: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => {
        const g = grid(y);
        const nb = tf.addN([roll(g, 1, 1), roll(g, 1, -1), roll(g, 2, 1), roll(g, 2, -1)]);
        return tf.add(tf.mul(tf.reshape(nb, [-1, d]), J), h);
      });
    },
  };
}

/** Critical coupling of the infinite square-lattice Ising model, J_c = ½ log(1 + √2) ≈ 0.4407 (Onsager 1944). */
export const ISING_CRITICAL_COUPLING = 0.5 * Math.log(1 + Math.SQRT2);

/**
 * Spontaneous magnetization per site of the infinite 2-D square-lattice Ising model with coupling J and no
 * field (Onsager 1949; Yang 1952): M(J) = (1 − sinh(2J)⁻⁴)^{1/8} for J > J_c, and 0 for J ≤ J_c. The known
 * magnetization curve against which samplers of {@link isingLattice} are benchmarked: for L ≫ the correlation
 * length, E|m| of the finite periodic lattice approaches M(J) from above in the ordered phase
 * (m = mean of the spins). Plain number.
 */
export function isingMagnetization(J: number): number {
  assertFinite('isingMagnetization', 'J', J);
  if (J <= ISING_CRITICAL_COUPLING) return 0;
  return (1 - Math.sinh(2 * J) ** -4) ** 0.125;
}

/** Parameters of {@link rbm}: W is d×m (row-major flat or nested), b visible biases [d], c hidden biases [m]. */
export interface RbmParams {
  readonly W: ArrayLike<number> | readonly (readonly number[])[];
  readonly b: ArrayLike<number>;
  readonly c: ArrayLike<number>;
}

/**
 * Restricted Boltzmann machine with visible v ∈ {−1, 1}^d and hidden units h ∈ {−1, 1}^m, energy
 * −(bᵀv + cᵀh + vᵀWh). The hidden units are summed out exactly: f(v) = bᵀv + Σ_j log 2cosh(c_j + (Wᵀv)_j),
 * computed stably as a + softplus(−2a); ∇f(v) = b + W tanh(c + Wᵀv) on R^d. Enumerable by
 * {@link exactDistribution} for d ≤ 16. Input states [B, d] → [B]; the model owns no tensors. The returned
 * model also carries the validated W, b, c, so it can be handed to {@link rbmBlockedGibbs}, which samples
 * the joint (v, h) by alternating the two factorized conditionals.
 */
export function rbm(params: RbmParams): DiscreteModel & {
  readonly m: number;
  /** The validated weights, d×m row-major (read by {@link rbmBlockedGibbs}). */
  readonly W: Float32Array;
  /** The validated visible biases [d]. */
  readonly b: Float32Array;
  /** The validated hidden biases [m]. */
  readonly c: Float32Array;
} {
  const fn = 'rbm';
  if (params === null || typeof params !== 'object') throw new ValueError(`${fn}: options { W, b, c } are required`);
  const d = params.b.length;
  const m = params.c.length;
  assertPositive(fn, 'b.length', d);
  assertPositive(fn, 'c.length', m);
  const rows = params.W as readonly (readonly number[])[];
  const flat: number[] =
    Array.isArray(rows) && Array.isArray(rows[0])
      ? rows.flatMap((r) => Array.from(r))
      : Array.from(params.W as ArrayLike<number>);
  if (flat.length !== d * m)
    throw new ShapeError(`${fn}: 'W' must be ${d}×${m} (b.length × c.length), got ${flat.length} entries`);
  const W = finiteArray(fn, 'W', flat);
  const b = finiteArray(fn, 'b', params.b);
  const c = finiteArray(fn, 'c', params.c);
  const pre = (y: tf.Tensor): tf.Tensor => tf.add(tf.matMul(y, tf.tensor2d(W, [d, m])), tf.tensor1d(c));
  return {
    d,
    m,
    W,
    b,
    c,
    logProb: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => {
        const a = pre(y);
        const logCosh2 = tf.add(a, softplus(tf.mul(a, -2)));
        return tf.add(tf.sum(tf.mul(y, tf.tensor1d(b)), 1), tf.sum(logCosh2, 1));
      });
    },
    grad: (y) => {
      checkInput(fn, y, d);
      return tf.tidy(() => tf.add(tf.matMul(tf.tanh(pre(y)), tf.tensor2d(W, [d, m]), false, true), tf.tensor1d(b)));
    },
  };
}
