// Matrix-free constrained Langevin step (Ross et al. 2023, Algorithm 1 with CG), never forming J_F.
import * as tf from '@tensorflow/tfjs-core';
import { type EnergyFn, type Key, cg, lbfgs, normal, split } from '@walkjump/tensor';
import { jvpOnly, vjpOnly } from '../internal/ad.ts';
import { constraintCodim, evalF, readHost, rowNorms, toTensor, withScope } from '../internal/host.ts';
import { tangentProject } from '../geometry/geometry.ts';
import type { ConstraintFn } from '../types.ts';
import type { ConstrainedInfo, ConstrainedKernel, ConstrainedState } from './rattle.ts';
import { energyAndGrad } from './rattle.ts';

export interface CgLangevinConfig {
  readonly stepSize: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly cgTol: number;
  readonly cgMaxIter: number;
  readonly multiplierSolver: 'newton' | 'lbfgs';
  readonly gradClamp: number | undefined;
}

/**
 * One CLMC step per call: r = Proj_{T_x}(r′) by CG on JJᵀ (eq. 11), then λ from F(y − J(x)ᵀλ) = 0,
 * y = x + εr − (ε²/2)∇E(x), by the quasi-Newton iteration λ ← λ + (J(x)J(x)ᵀ)⁻¹F(z) (J frozen at x,
 * each solve by CG with u ↦ J(x)J(x)ᵀu from a vjp and a jvp). Linear convergence at rate O(ε).
 */
export function cgLangevinStep(
  constraintFn: ConstraintFn,
  energyFn: EnergyFn,
  cfg: CgLangevinConfig,
  init: ConstrainedKernel['init'],
): ConstrainedKernel {
  const fn = 'constrainedLangevin';
  const eps = cfg.stepSize;
  const step = (key: Key, state: ConstrainedState): [ConstrainedState, ConstrainedInfo] => {
    const k = constraintCodim(`${fn}.step`, constraintFn, state.position);
    const [C, n] = state.position.shape as [number, number];
    const [kp] = split(key, 2) as [Key, Key];
    const x = state.position;
    const active = new Array<boolean>(C).fill(true);
    const ok = new Array<boolean>(C).fill(false);
    const solverResidual = new Array<number>(C).fill(Number.NaN);
    let newtonIterations = 0;
    const zHost = withScope(() => {
      const rp = normal(kp, [C, n]);
      const proj = tangentProject(constraintFn, x, rp, { method: 'cg', tol: cfg.cgTol, maxIter: cfg.cgMaxIter });
      for (let c = 0; c < C; c++) if (!Number.isFinite(proj.residual[c]!)) active[c] = false;
      const y = tf.sub(tf.add(x, tf.mul(eps, proj.projected)), tf.mul(0.5 * eps * eps, state.energyGrad));
      const jjt = (w: tf.Tensor2D): tf.Tensor => tf.tidy(() => jvpOnly(constraintFn, x, vjpOnly(constraintFn, x, w)));
      if (cfg.multiplierSolver === 'lbfgs') {
        // Eq. 14 as in the paper: L-BFGS on ½‖F(y − J(x)ᵀλ)‖², J(x)ᵀλ by a vjp (matrix-free).
        const at = (lam: tf.Tensor): tf.Tensor => tf.sub(y, vjpOnly(constraintFn, x, lam));
        const out = lbfgs((lam) => tf.mul(0.5, tf.sum(tf.square(constraintFn(at(lam))))), tf.zeros([C, k]), {
          maxIter: cfg.maxIter,
          tol: 0,
        });
        newtonIterations = out.iterations;
        const zl = at(out.x);
        const res = rowNorms(readHost(constraintFn(zl)), C, k);
        for (let c = 0; c < C; c++) {
          if (!active[c]) continue;
          solverResidual[c] = res[c]!;
          ok[c] = res[c]! <= cfg.tol;
        }
        return readHost(zl);
      }
      let lambda: tf.Tensor = tf.zeros([C, k]);
      let z: tf.Tensor = y;
      for (;;) {
        const Fz = constraintFn(z);
        const res = rowNorms(readHost(Fz), C, k);
        for (let c = 0; c < C; c++) {
          if (!active[c]) continue;
          solverResidual[c] = res[c]!;
          if (res[c]! <= cfg.tol) {
            ok[c] = true;
            active[c] = false;
          } else if (!Number.isFinite(res[c]!)) active[c] = false;
        }
        if (!active.some(Boolean) || newtonIterations >= cfg.maxIter) break;
        const sol = cg(jjt, Fz, { tol: cfg.cgTol, maxIter: cfg.cgMaxIter });
        const mask = tf.tensor2d(
          Float32Array.from(active, (a) => (a ? 1 : 0)),
          [C, 1],
        );
        lambda = tf.add(lambda, tf.mul(mask, sol.x));
        z = tf.sub(y, vjpOnly(constraintFn, x, lambda));
        newtonIterations++;
      }
      return readHost(z);
    });
    const x0 = readHost(x);
    const xOut = Float64Array.from(x0);
    for (let c = 0; c < C; c++) if (ok[c]) for (let l = 0; l < n; l++) xOut[c * n + l] = zHost[c * n + l]!;
    const { E, g } = energyAndGrad(fn, energyFn, xOut, C, n);
    if (cfg.gradClamp !== undefined) {
      const c = cfg.gradClamp;
      for (let i = 0; i < g.length; i++) g[i] = Math.min(c, Math.max(-c, g[i]!));
    }
    for (let c = 0; c < C; c++) if (!Number.isFinite(E[c]!)) ok[c] = false;
    const E0 = readHost(state.energy);
    const g0 = readHost(state.energyGrad);
    for (let c = 0; c < C; c++) {
      if (ok[c]) continue;
      for (let l = 0; l < n; l++) {
        xOut[c * n + l] = x0[c * n + l]!;
        g[c * n + l] = g0[c * n + l]!;
      }
      E[c] = E0[c]!;
    }
    const next: ConstrainedState = {
      position: toTensor(xOut, [C, n]),
      energy: tf.tensor1d(Float32Array.from(E)),
      energyGrad: toTensor(g, [C, n]),
    };
    const info: ConstrainedInfo = {
      accepted: ok.slice(),
      acceptanceProbability: ok.map((a) => (a ? 1 : 0)),
      acceptanceRate: ok.filter(Boolean).length / C,
      energyChange: new Array<number>(C).fill(Number.NaN),
      solverFailed: ok.map((a) => !a),
      nonReversible: new Array<boolean>(C).fill(false),
      solverResidual,
      constraintResidual: rowNorms(evalF(constraintFn, xOut, C, n), C, k),
      newtonIterations,
    };
    return [next, info];
  };
  return { init, step };
}
