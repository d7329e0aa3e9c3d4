import * as tf from '@tensorflow/tfjs-core';
import {
  type EnergyFn,
  type Key,
  ShapeError,
  ValueError,
  assertInteger,
  assertPositive,
  normal,
  split,
  uniform,
} from '@walkjump/tensor';
import {
  assertOnManifold,
  constraintCodim,
  evalF,
  jacobianHost,
  projectRow,
  readHost,
  rowNorms,
  toTensor,
  withScope,
} from '../internal/host.ts';
import { solvePosition, solvePositionLbfgs } from '../internal/solve.ts';
import type { ConstraintFn } from '../types.ts';

/**
 * State of a constrained chain batch: only what the next step needs. All tensors are owned by the
 * caller (dispose with {@link disposeConstrainedState} once the next state exists).
 * @public
 */
export interface ConstrainedState {
  /** Positions `[C, n]` on M (‖F(x_c)‖ ≤ tol for every chain). */
  readonly position: tf.Tensor2D;
  /** E(x) `[C]`. */
  readonly energy: tf.Tensor1D;
  /** ∇E(x) `[C, n]` (ambient gradient). */
  readonly energyGrad: tf.Tensor2D;
}

/**
 * Diagnostics of one step, per chain (host arrays). A failed solve or a reversibility failure
 * rejects that chain's move (its state is unchanged); other chains are unaffected.
 * @public
 */
export interface ConstrainedInfo {
  /** Chain moved to the proposal. */
  readonly accepted: boolean[];
  /** Metropolis–Hastings probability min(1, e^{−ΔH}) (1 when uncorrected, 0 on failure). */
  readonly acceptanceProbability: number[];
  /** Fraction of chains that moved. */
  readonly acceptanceRate: number;
  /** ΔH = H(end) − H(start) with H = E(x) + ½‖p‖² (NaN on failure). */
  readonly energyChange: number[];
  /** The Newton solve for the Lagrange multiplier (forward) did not reach ‖F‖ ≤ tol, or a value was not finite. */
  readonly solverFailed: boolean[];
  /** The reversibility check failed: the backward solve did not return to the start (Lelièvre, Rousset & Stoltz 2019). */
  readonly nonReversible: boolean[];
  /** Largest ‖F‖ the forward Newton solves ended at along the trajectory (solver residual). */
  readonly solverResidual: number[];
  /** ‖F(x_c)‖ at the returned positions. */
  readonly constraintResidual: number[];
  /** Most Newton iterations any single solve of this step used. */
  readonly newtonIterations: number;
}

/**
 * A constrained MCMC kernel in the BlackJAX shape: `init(position) → State`,
 * `step(key, state) → [State, Info]`. `step` never disposes its input state.
 * @public
 */
export interface ConstrainedKernel {
  init(position: tf.Tensor): ConstrainedState;
  step(key: Key, state: ConstrainedState): [ConstrainedState, ConstrainedInfo];
}

/** Disposes the tensors of a {@link ConstrainedState}. @public */
export function disposeConstrainedState(state: ConstrainedState): void {
  tf.dispose([state.position, state.energy, state.energyGrad]);
}

export interface CoreConfig {
  readonly stepSize: number;
  readonly numSteps: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly reversibilityCheck: boolean;
  readonly reversibilityTol: number;
  readonly metropolis: boolean;
  /** Solver for the Lagrange multiplier of the position equation. */
  readonly multiplierSolver: 'newton' | 'lbfgs';
  /** Clamp each entry of ∇E to [−c, c] in the drift (unadjusted Langevin only; Du & Mordatch 2019). */
  readonly gradClamp: number | undefined;
}

export function checkEnergyShape(fn: string, energy: EnergyFn, x: Float64Array, C: number, n: number): void {
  // Checked outside tf.grad: an exception thrown inside a gradient scope leaks a tensor in tfjs.
  const shape = withScope(() => energy(toTensor(x, [C, n])).shape);
  if (shape.length !== 1 || shape[0] !== C) {
    throw new ShapeError(`${fn}: 'energyFn' must map [${C}, ${n}] to [${C}], got [${shape.join(', ')}]`);
  }
}

export function energyAndGrad(
  _fn: string,
  energy: EnergyFn,
  x: Float64Array,
  C: number,
  n: number,
): { E: Float64Array; g: Float64Array } {
  return withScope(() => {
    const xt = toTensor(x, [C, n]);
    let e: tf.Tensor | undefined;
    const g = tf.grad((z: tf.Tensor) => {
      const out = energy(z);
      e = tf.keep(tf.clone(out));
      // The 0·Σz term keeps an energy that ignores z (e.g. E ≡ 0) differentiable: ∇E = 0.
      return tf.add(tf.sum(out), tf.mul(0, tf.sum(z)));
    })(xt);
    const E = readHost(e as tf.Tensor);
    (e as tf.Tensor).dispose();
    return { E, g: readHost(g) };
  });
}

/** Builds a RATTLE-based kernel; shared by constrainedHmc and constrainedLangevin. */
export function rattleKernel(
  fn: string,
  constraintFn: ConstraintFn,
  energyFn: EnergyFn,
  cfg: CoreConfig,
): ConstrainedKernel {
  assertPositive(fn, 'stepSize', cfg.stepSize);
  assertInteger(fn, 'numSteps', cfg.numSteps, 1);
  assertPositive(fn, 'tol', cfg.tol);
  assertInteger(fn, 'maxIter', cfg.maxIter, 1);
  assertPositive(fn, 'reversibilityTol', cfg.reversibilityTol);
  if (cfg.gradClamp !== undefined) {
    assertPositive(fn, 'gradClamp', cfg.gradClamp);
    if (cfg.metropolis)
      throw new ValueError(
        `${fn}: 'gradClamp' changes the dynamics and is only allowed without the Metropolis correction`,
      );
  }
  if (cfg.multiplierSolver !== 'newton' && cfg.multiplierSolver !== 'lbfgs') {
    throw new ValueError(`${fn}: 'multiplierSolver' must be 'newton' or 'lbfgs', got ${String(cfg.multiplierSolver)}`);
  }
  const solve = cfg.multiplierSolver === 'newton' ? solvePosition : solvePositionLbfgs;
  const clampG = (g: Float64Array): Float64Array => {
    const c = cfg.gradClamp;
    if (c !== undefined) for (let i = 0; i < g.length; i++) g[i] = Math.min(c, Math.max(-c, g[i]!));
    return g;
  };
  if (typeof constraintFn !== 'function') throw new TypeError(`${fn}: 'constraintFn' must be a function`);
  if (typeof energyFn !== 'function') throw new TypeError(`${fn}: 'energyFn' must be a function`);
  const h = cfg.stepSize;
  let k = 0;

  const init = (position: tf.Tensor): ConstrainedState => {
    k = constraintCodim(`${fn}.init`, constraintFn, position);
    const [C, n] = position.shape as [number, number];
    const x = readHost(position);
    if (!x.every(Number.isFinite)) throw new ShapeError(`${fn}.init: 'position' must be finite`);
    assertOnManifold(`${fn}.init`, rowNorms(evalF(constraintFn, x, C, n), C, k), cfg.tol);
    checkEnergyShape(`${fn}.init`, energyFn, x, C, n);
    const { E, g } = energyAndGrad(`${fn}.init`, energyFn, x, C, n);
    return {
      position: toTensor(x, [C, n]),
      energy: tf.tensor1d(Float32Array.from(E)),
      energyGrad: toTensor(clampG(g), [C, n]),
    };
  };

  const step = (key: Key, state: ConstrainedState): [ConstrainedState, ConstrainedInfo] => {
    if (k === 0) k = constraintCodim(`${fn}.step`, constraintFn, state.position);
    const [C, n] = state.position.shape as [number, number];
    const [kp, ku] = split(key, 2) as [Key, Key];
    const x0 = readHost(state.position);
    const E0 = readHost(state.energy);
    const g0 = readHost(state.energyGrad);
    const J0 = jacobianHost(constraintFn, x0, C, n, k);
    const p0 = withScope(() => readHost(normal(kp, [C, n])));
    const failed = new Array<boolean>(C).fill(false);
    const nonReversible = new Array<boolean>(C).fill(false);
    const solverResidual = new Array<number>(C).fill(0);
    for (let c = 0; c < C; c++) if (!projectRow(J0, p0, c, k, n)) failed[c] = true;
    const H0 = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += p0[c * n + l]! ** 2;
      H0[c] = E0[c]! + 0.5 * s;
    }
    let x = x0;
    let p = p0;
    let g = g0;
    let E = E0;
    let J = J0;
    let newtonIterations = 0;
    for (let s = 0; s < cfg.numSteps; s++) {
      const active = failed.map((f) => !f);
      const y = new Float64Array(C * n);
      for (let i = 0; i < C * n; i++) y[i] = x[i]! + h * (p[i]! - 0.5 * h * g[i]!);
      const fwd = solve(constraintFn, y, J, active, C, n, k, cfg.tol, cfg.maxIter);
      newtonIterations = Math.max(newtonIterations, fwd.iterations);
      const x1 = fwd.x;
      for (let c = 0; c < C; c++) {
        if (!active[c]) continue;
        solverResidual[c] = Math.max(solverResidual[c]!, fwd.residual[c]!);
        if (!fwd.ok[c]) failed[c] = true;
      }
      // Failed rows evaluate at their old position (keeps every number finite).
      for (let c = 0; c < C; c++) if (failed[c]) for (let l = 0; l < n; l++) x1[c * n + l] = x[c * n + l]!;
      const { E: E1, g: g1raw } = energyAndGrad(`${fn}.step`, energyFn, x1, C, n);
      const g1 = clampG(g1raw);
      const J1 = jacobianHost(constraintFn, x1, C, n, k);
      const p1 = new Float64Array(C * n);
      for (let c = 0; c < C; c++) {
        if (failed[c]) continue;
        for (let l = 0; l < n; l++) {
          const i = c * n + l;
          p1[i] = (x1[i]! - x[i]!) / h - 0.5 * h * g1[i]!;
        }
        if (!projectRow(J1, p1, c, k, n) || !Number.isFinite(E1[c]!)) failed[c] = true;
      }
      if (cfg.reversibilityCheck) {
        const back = failed.map((f) => !f);
        const yb = new Float64Array(C * n);
        for (let i = 0; i < C * n; i++) yb[i] = x1[i]! + h * (-p1[i]! - 0.5 * h * g1[i]!);
        const bwd = solve(constraintFn, yb, J1, back, C, n, k, cfg.tol, cfg.maxIter);
        newtonIterations = Math.max(newtonIterations, bwd.iterations);
        for (let c = 0; c < C; c++) {
          if (!back[c]) continue;
          let d = 0;
          for (let l = 0; l < n; l++) d += (bwd.x[c * n + l]! - x[c * n + l]!) ** 2;
          if (!bwd.ok[c] || !(Math.sqrt(d) <= cfg.reversibilityTol)) {
            nonReversible[c] = true;
            failed[c] = true;
          }
        }
      }
      // Failed rows stay frozen at their last valid point; they are rejected at the end.
      const xn = Float64Array.from(x1);
      const pn = p1;
      const gn = Float64Array.from(g1);
      const En = Float64Array.from(E1);
      const Jn = Float64Array.from(J1);
      for (let c = 0; c < C; c++) {
        if (!failed[c]) continue;
        for (let l = 0; l < n; l++) {
          const i = c * n + l;
          xn[i] = x[i]!;
          pn[i] = p[i]!;
          gn[i] = g[i]!;
        }
        En[c] = E[c]!;
        for (let i = c * k * n; i < (c + 1) * k * n; i++) Jn[i] = J[i]!;
      }
      x = xn;
      p = pn;
      g = gn;
      E = En;
      J = Jn;
    }
    const uni = cfg.metropolis ? withScope(() => readHost(uniform(ku, [C]))) : undefined;
    const accepted = new Array<boolean>(C).fill(false);
    const acceptanceProbability = new Array<number>(C).fill(0);
    const energyChange = new Array<number>(C).fill(Number.NaN);
    const xOut = Float64Array.from(x0);
    const gOut = Float64Array.from(g0);
    const EOut = Float64Array.from(E0);
    for (let c = 0; c < C; c++) {
      if (failed[c]) continue;
      let s = 0;
      for (let l = 0; l < n; l++) s += p[c * n + l]! ** 2;
      const dH = E[c]! + 0.5 * s - H0[c]!;
      energyChange[c] = dH;
      if (!Number.isFinite(dH)) {
        failed[c] = true;
        continue;
      }
      const a = cfg.metropolis ? Math.min(1, Math.exp(-dH)) : 1;
      acceptanceProbability[c] = a;
      if (uni === undefined || uni[c]! < a) {
        accepted[c] = true;
        for (let l = 0; l < n; l++) {
          xOut[c * n + l] = x[c * n + l]!;
          gOut[c * n + l] = g[c * n + l]!;
        }
        EOut[c] = E[c]!;
      }
    }
    const constraintResidual = rowNorms(evalF(constraintFn, xOut, C, n), C, k);
    const solverFailed = failed.map((f, c) => f && !nonReversible[c]);
    const next: ConstrainedState = {
      position: toTensor(xOut, [C, n]),
      energy: tf.tensor1d(Float32Array.from(EOut)),
      energyGrad: toTensor(gOut, [C, n]),
    };
    const info: ConstrainedInfo = {
      accepted,
      acceptanceProbability,
      acceptanceRate: accepted.filter(Boolean).length / C,
      energyChange,
      solverFailed,
      nonReversible,
      solverResidual,
      constraintResidual,
      newtonIterations,
    };
    return [next, info];
  };
  return { init, step };
}
