import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, type Key, normal, ShapeError, split, ValueError } from '@walkjump/tensor';
import { checkChains, coef, mapCoef, readStepSize, type StepSize } from '../internal/per-chain.ts';
import {
  checkPosition,
  finiteRows,
  initScore,
  type Kernel,
  type KernelInfo,
  type KernelState,
  type LangevinTarget,
  resolveScore,
  sameShape,
  selectRows,
} from './overdamped.ts';

/**
 * State of the underdamped kernels: positions y and velocities v, both [C, ...]. Friction
 * convention: see {@link UnderdampedOptions}.
 */
export interface UnderdampedState extends KernelState {
  readonly velocity: tf.Tensor;
}

/** State of {@link chengUnderdamped}: position, velocity and the cached score ∇log p(position), all [C, ...]. */
export interface ChengState extends UnderdampedState {
  readonly score: tf.Tensor;
}

/**
 * Options of {@link sachsUnderdamped} and {@link chengUnderdamped}, the parameters of the underdamped
 * Langevin diffusion dv = −γv dt + u∇log p(y) dt + √(2γu) dB, dy = v dt (Saremi & Srivastava 2022,
 * eq. 23). **Friction convention: the papers'.** The velocity is damped by e^{−γδ} per step (γ is a
 * rate per unit time, δ the time step), as in Algorithms 1 and 2 of Saremi & Srivastava (2022); the
 * public walk-jump code multiplies by e^{−γ} per step instead, i.e. its γ equals our γδ.
 */
export interface UnderdampedOptions {
  /** δ, the time step, > 0: one number for all chains, or an array with one entry per chain. */
  readonly stepSize: StepSize;
  /** γ, the friction (a rate: the damping per step is e^{−γδ}), > 0. */
  readonly friction: number;
  /** u, the inverse mass, > 0; default 1. */
  readonly inverseMass?: number;
}

/**
 * An underdamped kernel: `init(position, velocity?)` — the velocity defaults to 0 (line 5 of
 * Algorithms 1 and 2) — and `step(key, state)`.
 */
export interface UnderdampedKernel<S extends UnderdampedState> extends Kernel<S> {
  init(position: tf.Tensor, velocity?: tf.Tensor): S;
}

function readOptions(fn: string, opts: UnderdampedOptions): { delta: number | Float64Array; gamma: number; u: number } {
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`${fn}: options { stepSize, friction } are required`);
  const delta = readStepSize(fn, 'stepSize', opts.stepSize);
  assertPositive(fn, 'friction', opts.friction);
  const u = opts.inverseMass ?? 1;
  assertPositive(fn, 'inverseMass', u);
  return { delta, gamma: opts.friction, u };
}

/** Validates position (and velocity) at init and returns the copied velocity (zeros by default). */
function initVelocity(fn: string, position: tf.Tensor, velocity: tf.Tensor | undefined): tf.Tensor {
  checkPosition(fn, position);
  if (velocity === undefined) return tf.zerosLike(position);
  if (!(velocity instanceof tf.Tensor)) throw new ShapeError(`${fn}.init: 'velocity' must be a tensor [C, ...]`);
  if (!sameShape(velocity.shape, position.shape) || velocity.dtype !== 'float32') {
    throw new ShapeError(
      `${fn}.init: 'velocity' must be float32 of the position's shape [${position.shape.join(', ')}], got ${velocity.dtype} [${velocity.shape.join(', ')}]`,
    );
  }
  const f = finiteRows(velocity);
  const m = tf.tidy(() => tf.min(f));
  const ok = m.dataSync()[0] === 1;
  tf.dispose([f, m]);
  if (!ok) throw new ValueError(`${fn}.init: 'velocity' contains NaN or ±Infinity`);
  return tf.clone(velocity);
}

/**
 * The Langevin discretization of Sachs et al. (2017) as given in Algorithm 1 of Saremi & Srivastava
 * (2022), in the paper's order (A B O B A, one score evaluation per step, at the midpoint):
 * y′ = y + δv/2; Ψ = ∇log p(y′); v′ = v + uδΨ/2; v″ = e^{−γδ}v′ + uδΨ/2 + √(u(1 − e^{−2γδ})) B;
 * y″ = y′ + δv″/2, B ~ N(0, I). Friction is the papers' e^{−γδ} per step (see
 * {@link UnderdampedOptions}). As γ → ∞ the midpoints y + δv/2 follow the overdamped chain of eq. 42
 * with step δ√u exactly, and the positions are averages of consecutive midpoints (Appendix F). The
 * target is `{ score }` or `{ energy }`; the score at the position is not needed by the next step, so
 * the state holds only `{ position, velocity }` [C, ...]. `init(position, velocity = 0)` validates
 * (ShapeError, ValueError, NonFiniteError as {@link ula}) and copies; options ≤ 0 throw ValueError
 * when the kernel is built. `step(key, state)` returns `[UnderdampedState, { nonFinite }]`; a chain
 * whose new position, velocity or score is not finite keeps its old state and is flagged. Stepping
 * disposes nothing it was given; the caller owns the returned state and info.
 */
export function sachsUnderdamped(
  target: LangevinTarget,
  opts: UnderdampedOptions,
): UnderdampedKernel<UnderdampedState> {
  const fn = 'sachsUnderdamped';
  const { delta, gamma, u } = readOptions(fn, opts);
  const scoreFn = resolveScore(fn, target);
  const decay = mapCoef(delta, (d) => Math.exp(-gamma * d));
  // √(u(1 − e^{−2γδ})) without cancellation for small γδ
  const noise = mapCoef(delta, (d) => Math.sqrt(-u * Math.expm1(-2 * gamma * d)));
  const halfKick = mapCoef(delta, (d) => (u * d) / 2);
  const halfDelta = mapCoef(delta, (d) => d / 2);
  return {
    init(position, velocity) {
      checkPosition(fn, position);
      checkChains(fn, 'stepSize', delta, position.shape[0]!);
      const v = initVelocity(fn, position, velocity);
      try {
        initScore(fn, scoreFn, position).dispose();
      } catch (e) {
        v.dispose();
        throw e;
      }
      return { position: tf.clone(position), velocity: v };
    },
    step(key: Key, state) {
      const [position, velocity, nonFinite] = tf.tidy(() => {
        const { position: y, velocity: v } = state;
        const hd = coef(halfDelta, y);
        const hk = coef(halfKick, y);
        const yMid = tf.add(y, tf.mul(v, hd)); // A
        const psi = scoreFn(yMid);
        const vKick = tf.add(v, tf.mul(psi, hk)); // B
        const vNew = tf.add(
          tf.add(tf.mul(vKick, coef(decay, y)), tf.mul(psi, hk)),
          tf.mul(normal(key, y.shape), coef(noise, y)),
        ); // O, B
        const yNew = tf.add(yMid, tf.mul(vNew, hd)); // A
        const ok = finiteRows(yNew, vNew, psi);
        return [selectRows(ok, yNew, y), selectRows(ok, vNew, v), tf.sub(1, ok)];
      }) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const info: KernelInfo = { nonFinite };
      return [{ position, velocity }, info];
    },
  };
}

/**
 * Coefficients of one step of {@link chengUnderdamped}: the exact transition of the underdamped
 * diffusion (eq. 23) over time δ with the score frozen at its start, from Lemma 1 of Saremi &
 * Srivastava (2022). Means (eq. 34, Ψ = ∇log p(y₀)): E[v] = `decay`·v₀ + `vScore`·Ψ,
 * E[y] = y₀ + `yVelocity`·v₀ + `yScore`·Ψ. Covariances per coordinate (eqs. 39–41): `sigmaYY`,
 * `sigmaVV`, `sigmaYV`; the Cholesky factor of eq. 38 is [[l11, 0], [l21, l22]].
 */
export interface ChengCoefficients {
  readonly decay: number;
  readonly yVelocity: number;
  readonly vScore: number;
  readonly yScore: number;
  readonly sigmaYY: number;
  readonly sigmaVV: number;
  readonly sigmaYV: number;
  readonly l11: number;
  readonly l21: number;
  readonly l22: number;
}

/** (x − 1 + e^{−x})/x² = Σ_{k≥0} (−x)^k/(k+2)!; the closed form loses ~log10(1/x) digits for small x. */
function phi2(x: number): number {
  if (x >= 1) return (x + Math.expm1(-x)) / (x * x);
  let term = 0.5;
  let sum = 0.5;
  for (let k = 1; k < 30; k++) {
    term *= -x / (k + 2);
    sum += term;
  }
  return sum;
}

/**
 * (2x − 3 + 4e^{−x} − e^{−2x})/x³ = Σ_{k≥3} (−1)^k (4 − 2^k) x^{k−3}/k! (the x³ term of eq. 39
 * cancels to leading order: 2/3 − x/2 + …); the closed form loses ~2·log10(1/x) digits.
 */
function g3(x: number): number {
  if (x >= 1) return (2 * x + 4 * Math.expm1(-x) - Math.expm1(-2 * x)) / (x * x * x);
  let sum = 0;
  let xk = 1; // x^{k−3}
  let fact = 6; // k!
  let pow2 = 8; // 2^k
  for (let k = 3; k < 40; k++) {
    sum += ((k % 2 === 0 ? 1 : -1) * (4 - pow2) * xk) / fact;
    xk *= x;
    fact *= k + 1;
    pow2 *= 2;
  }
  return sum;
}

/**
 * The coefficients of Lemma 1 / eqs. 34 and 38–41 of Saremi & Srivastava (2022) for step δ,
 * friction γ and inverse mass u, in float64, stable for all γδ > 0: with x = γδ and
 * φ₁(x) = (1 − e^{−x})/x (via expm1), E[v] = e^{−x}v₀ + uδφ₁Ψ, E[y] = y₀ + δφ₁v₀ + uδ²φ₂Ψ,
 * Σ_yy = uδ²·x·G(x), Σ_yv = uδ·x·φ₁², Σ_vv = −u·expm1(−2x), where φ₂ and G are the series above for
 * x < 1, so no difference of nearly equal numbers is ever formed.
 */
export function chengCoefficients(opts: {
  readonly stepSize: number;
  readonly friction: number;
  readonly inverseMass?: number;
}): ChengCoefficients {
  const fn = 'chengCoefficients';
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`${fn}: options { stepSize, friction } are required`);
  assertPositive(fn, 'stepSize', opts.stepSize);
  assertPositive(fn, 'friction', opts.friction);
  const u = opts.inverseMass ?? 1;
  assertPositive(fn, 'inverseMass', u);
  const delta = opts.stepSize;
  const gamma = opts.friction;
  const x = gamma * delta;
  const phi1 = -Math.expm1(-x) / x;
  const G = g3(x);
  const sigmaYY = u * delta * delta * x * G;
  const sigmaVV = -u * Math.expm1(-2 * x);
  const sigmaYV = u * delta * x * phi1 * phi1;
  // Schur complement Σ_vv − Σ_yv²/Σ_yy = u·x·(2φ₁(2x) − φ₁(x)⁴/G(x)), → u·x/2 as x → 0
  const phi1Twice = -Math.expm1(-2 * x) / (2 * x);
  const schur = u * x * Math.max(2 * phi1Twice - phi1 ** 4 / G, 0);
  return {
    decay: Math.exp(-x),
    yVelocity: delta * phi1,
    vScore: u * delta * phi1,
    yScore: u * delta * delta * phi2(x),
    sigmaYY,
    sigmaVV,
    sigmaYV,
    l11: delta * Math.sqrt(u * x * G),
    l21: (Math.sqrt(u * x) * phi1 * phi1) / Math.sqrt(G),
    l22: Math.sqrt(schur),
  };
}

/**
 * The underdamped Langevin algorithm of Cheng et al. (2018) with general friction γ and inverse mass
 * u: Algorithm 2 of Saremi & Srivastava (2022). Each step samples (y′, v′) jointly from the exact
 * Gaussian transition of the diffusion (eq. 23) over time δ with the score Ψ = ∇log p(y) frozen at
 * the start of the step — mean eq. 34, covariance eq. 35, drawn as mean + L·(B₁, B₂) with the
 * Cholesky factor L of eqs. 38–41 (coefficients from {@link chengCoefficients}, stable for small γδ).
 * Friction is the papers' e^{−γδ} per step (see {@link UnderdampedOptions}). The target is
 * `{ score }` or `{ energy }`; the state `{ position, velocity, score }` [C, ...] caches the score so
 * each step costs one evaluation. `init(position, velocity = 0)` validates (ShapeError, ValueError,
 * NonFiniteError as {@link ula}) and copies; options ≤ 0 throw ValueError when the kernel is built.
 * `step(key, state)` returns `[ChengState, { nonFinite }]`; a chain whose new position, velocity or
 * score is not finite keeps its old state and is flagged. Stepping disposes nothing it was given;
 * the caller owns the returned state and info.
 */
export function chengUnderdamped(target: LangevinTarget, opts: UnderdampedOptions): UnderdampedKernel<ChengState> {
  const fn = 'chengUnderdamped';
  const { delta, gamma, u } = readOptions(fn, opts);
  const per =
    typeof delta === 'number'
      ? [chengCoefficients({ stepSize: delta, friction: gamma, inverseMass: u })]
      : Array.from(delta, (d) => chengCoefficients({ stepSize: d, friction: gamma, inverseMass: u }));
  // each coefficient as a number, or per chain (float64 host values, uploaded as [C, 1, …] in the step)
  const pick = (name: keyof ChengCoefficients): number | Float64Array =>
    typeof delta === 'number' ? per[0]![name] : Float64Array.from(per, (c) => c[name]);
  const c = {
    decay: pick('decay'),
    vScore: pick('vScore'),
    yVelocity: pick('yVelocity'),
    yScore: pick('yScore'),
    l11: pick('l11'),
    l21: pick('l21'),
    l22: pick('l22'),
  };
  const scoreFn = resolveScore(fn, target);
  return {
    init(position, velocity) {
      checkPosition(fn, position);
      checkChains(fn, 'stepSize', delta, position.shape[0]!);
      const v = initVelocity(fn, position, velocity);
      let s: tf.Tensor;
      try {
        s = initScore(fn, scoreFn, position);
      } catch (e) {
        v.dispose();
        throw e;
      }
      return { position: tf.clone(position), velocity: v, score: s };
    },
    step(key: Key, state) {
      const [k1, k2] = split(key, 2) as [Key, Key];
      const [position, velocity, score, nonFinite] = tf.tidy(() => {
        const { position: y, velocity: v, score: psi } = state;
        const b1 = normal(k1, y.shape);
        const b2 = normal(k2, y.shape);
        const vNew = tf.add(
          tf.add(tf.mul(v, coef(c.decay, y)), tf.mul(psi, coef(c.vScore, y))),
          tf.add(tf.mul(b1, coef(c.l21, y)), tf.mul(b2, coef(c.l22, y))),
        );
        const yNew = tf.add(
          tf.add(y, tf.mul(v, coef(c.yVelocity, y))),
          tf.add(tf.mul(psi, coef(c.yScore, y)), tf.mul(b1, coef(c.l11, y))),
        );
        const sNew = scoreFn(yNew);
        const ok = finiteRows(yNew, vNew, sNew);
        return [selectRows(ok, yNew, y), selectRows(ok, vNew, v), selectRows(ok, sNew, psi), tf.sub(1, ok)];
      }) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const info: KernelInfo = { nonFinite };
      return [{ position, velocity, score }, info];
    },
  };
}
