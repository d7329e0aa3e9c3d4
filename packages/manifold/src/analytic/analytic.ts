import * as tf from '@tensorflow/tfjs-core';
import { ValueError, assertInteger, assertPositive } from '@walkjump/tensor';
import type { ConstraintFn } from '../types.ts';

/**
 * An analytically known manifold M = {x ∈ Rⁿ : F(x) = 0} with the facts needed to test samplers
 * exactly against its Hausdorff (Riemannian) measure.
 * @public
 */
export interface AnalyticManifold {
  readonly name: string;
  /** Ambient dimension n. */
  readonly ambientDim: number;
  /** Intrinsic dimension m (F has k = n − m outputs). */
  readonly dim: number;
  /** The MDF, `[B, n] → [B, n − m]`, scaled so that ‖∇F_i‖ ≈ 1 on M where cheap to do. */
  readonly constraintFn: ConstraintFn;
  /** m-dimensional Hausdorff measure of M, when known in closed form; otherwise undefined. */
  readonly volume: number | undefined;
  /** A point of M (length n), e.g. to start chains. */
  readonly basePoint: readonly number[];
}

const logGammaHalf = (twoA: number): number => {
  // log Γ(twoA / 2) for a positive integer twoA, by Γ(a + 1) = a Γ(a) from Γ(1) = 1, Γ(½) = √π.
  let a = twoA % 2 === 0 ? 1 : 0.5;
  let lg = twoA % 2 === 0 ? 0 : 0.5 * Math.log(Math.PI);
  while (a < twoA / 2) {
    lg += Math.log(a);
    a += 1;
  }
  return lg;
};

/**
 * The sphere S^{n−1} = {‖x − c‖ = r} in Rⁿ, F(x) = (‖x − c‖² − r²)/(2r) (unit gradient on M).
 * Surface measure 2π^{n/2} r^{n−1} / Γ(n/2) (e.g. 4πr² for n = 3). n ≥ 2.
 * @public
 */
export function sphere(n: number, opts: { radius?: number; center?: readonly number[] } = {}): AnalyticManifold {
  const fn = 'sphere';
  assertInteger(fn, 'n', n, 2);
  const r = opts.radius ?? 1;
  assertPositive(fn, 'radius', r);
  const c = opts.center ?? new Array<number>(n).fill(0);
  if (c.length !== n) throw new ValueError(`${fn}: 'center' must have length ${n}, got ${c.length}`);
  const constraintFn: ConstraintFn = (x) =>
    tf.tidy(() => {
      const d = tf.sub(x, tf.tensor1d(c as number[]));
      return tf.reshape(tf.div(tf.sub(tf.sum(tf.square(d), 1), r * r), 2 * r), [-1, 1]);
    });
  const volume = Math.exp(Math.log(2) + (n / 2) * Math.log(Math.PI) + (n - 1) * Math.log(r) - logGammaHalf(n));
  const basePoint = c.map((ci, i) => (i === n - 1 ? ci + r : ci));
  return { name: `sphere S^${n - 1}`, ambientDim: n, dim: n - 1, constraintFn, volume, basePoint };
}

/**
 * The circle {‖x − c‖ = r} in R² (= `sphere(2, …)`), length 2πr.
 * @public
 */
export function circle(opts: { radius?: number; center?: readonly [number, number] } = {}): AnalyticManifold {
  return { ...sphere(2, opts), name: 'circle' };
}

/**
 * The torus of revolution in R³ about the z-axis, tube radius r < R:
 * F(x) = ((ρ − R)² + z² − r²)/(2r) with ρ = √(x² + y²). Area 4π²Rr. In the angles
 * x = (R + r cos θ)cos φ, y = (R + r cos θ)sin φ, z = r sin θ the area element is r(R + r cos θ) dθ dφ,
 * so under the uniform (Hausdorff) law φ is uniform and θ has density (R + r cos θ)/(2πR).
 * @public
 */
export function torus(opts: { R?: number; r?: number } = {}): AnalyticManifold {
  const fn = 'torus';
  const R = opts.R ?? 1;
  const r = opts.r ?? 0.5;
  assertPositive(fn, 'R', R);
  assertPositive(fn, 'r', r);
  if (!(r < R)) throw new ValueError(`${fn}: 'r' must be smaller than 'R' (a ring torus), got R = ${R}, r = ${r}`);
  const constraintFn: ConstraintFn = (x) =>
    tf.tidy(() => {
      const [xy, z] = tf.split(x, [2, 1], 1) as [tf.Tensor, tf.Tensor];
      const rho = tf.sqrt(tf.sum(tf.square(xy), 1, true));
      const q = tf.add(tf.square(tf.sub(rho, R)), tf.square(z));
      return tf.div(tf.sub(q, r * r), 2 * r);
    });
  return {
    name: 'torus',
    ambientDim: 3,
    dim: 2,
    constraintFn,
    volume: 4 * Math.PI ** 2 * R * r,
    basePoint: [R + r, 0, 0],
  };
}

/**
 * The ellipsoid {Σ_i x_i²/a_i² = 1} in Rⁿ with semi-axes a, F(x) = ½(Σ_i x_i²/a_i² − 1). Its surface
 * measure has no elementary closed form (`volume` undefined); for a ≡ r it is the sphere.
 * @public
 */
export function ellipsoid(axes: readonly number[]): AnalyticManifold {
  const fn = 'ellipsoid';
  if (axes.length < 2) throw new ValueError(`${fn}: 'axes' must have length >= 2, got ${axes.length}`);
  for (const [i, a] of axes.entries()) assertPositive(fn, `axes[${i}]`, a);
  const inv2 = axes.map((a) => 1 / (a * a));
  const n = axes.length;
  const constraintFn: ConstraintFn = (x) =>
    tf.tidy(() => tf.reshape(tf.mul(0.5, tf.sub(tf.sum(tf.mul(tf.square(x), tf.tensor1d(inv2)), 1), 1)), [-1, 1]));
  const basePoint = axes.map((a, i) => (i === n - 1 ? a : 0));
  return { name: 'ellipsoid', ambientDim: n, dim: n - 1, constraintFn, volume: undefined, basePoint };
}

/**
 * The orthogonal group O(3) = {R : RᵀR = I} in R⁹ (R row-major, x = [R₀₀, R₀₁, …, R₂₂]), as the six
 * equations ½(‖c_i‖² − 1) (i = 0, 1, 2) and c_iᵀc_j (i < j) on the columns c_i of R. It has two
 * components, SO(3) (det = +1) and its reflection; a continuous chain started at the identity
 * stays in SO(3). In the Frobenius metric of R⁹ each component has measure 16√2 π² (SO(3) with
 * the angle metric has 8π² and ‖RΩ‖_F = √2‖ω‖), so `volume` = 32√2 π² for the whole of O(3).
 * Under the uniform (Haar) law on SO(3): E[R] = 0, E[tr R] = 0, E[(tr R)²] = 1.
 * @public
 */
export function so3(): AnalyticManifold {
  const constraintFn: ConstraintFn = (x) =>
    tf.tidy(() => {
      const R = tf.reshape(x, [-1, 3, 3]);
      const G = tf.reshape(tf.matMul(R, R, true, false), [-1, 9]);
      // Select entries (0,0), (1,1), (2,2), (0,1), (0,2), (1,2) by a matMul (gather's gradient is missing on wasm).
      const sel = new Float32Array(9 * 6);
      [0, 4, 8, 1, 2, 5].forEach((e, j) => {
        sel[e * 6 + j] = j < 3 ? 0.5 : 1;
      });
      return tf.sub(tf.matMul(G, tf.tensor2d(sel, [9, 6])), tf.tensor1d([0.5, 0.5, 0.5, 0, 0, 0]));
    });
  return {
    name: 'O(3)',
    ambientDim: 9,
    dim: 3,
    constraintFn,
    volume: 32 * Math.SQRT2 * Math.PI ** 2,
    basePoint: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
}
