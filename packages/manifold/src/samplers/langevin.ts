import { type EnergyFn, ValueError, assertInteger, assertPositive } from '@walkjump/tensor';
import { cgLangevinStep } from './clmc-cg.ts';
import type { ConstraintFn } from '../types.ts';
import { type ConstrainedKernel, rattleKernel } from './rattle.ts';

/** Options of {@link constrainedLangevin}. @public */
export interface ConstrainedLangevinOptions {
  /** Step size ε > 0 (Ross et al. 2023, eq. 12). */
  readonly stepSize: number;
  /** Newton stopping tolerance on ‖F(x)‖ per chain; every accepted state satisfies it (default 1e-5). */
  readonly tol?: number;
  /** Newton iterations per solve (default 50). */
  readonly maxIter?: number;
  /**
   * Add the reversibility check and a Metropolis–Hastings correction (then this is constrained HMC
   * with one leapfrog step, i.e. a manifold MALA, and exact). Default false: the unadjusted
   * algorithm of the paper, biased at O(ε²)-ish in the step size.
   */
  readonly metropolis?: boolean;
  /** Reversibility tolerance when `metropolis` is on (default 1e-4). */
  readonly reversibilityTol?: number;
  /**
   * `'exact'` (default): J_F formed, Newton on λ with J(x')J(x)ᵀ, float64 k×k solves (small k).
   * `'cg'`: matrix-free as in the paper — tangent projection by CG on JJᵀ (eq. 11) and λ by the
   * quasi-Newton iteration λ ← λ + (J(x)J(x)ᵀ)⁻¹F(x') with CG solves; for large codimension
   * (e.g. image MDFs). Unadjusted only (`metropolis` must be false); `energyChange` is NaN.
   */
  readonly linearSolver?: 'exact' | 'cg';
  /**
   * Solver for the Lagrange multiplier λ of eqs. 12–13: `'newton'` (default: Newton on λ, or the
   * quasi-Newton iteration with CG solves when `linearSolver: 'cg'`) or `'lbfgs'` (eq. 14 as in the
   * paper: L-BFGS with strong-Wolfe line search on ½‖F(x + εr − (ε²/2)∇E − J(x)ᵀλ)‖², App. B.1;
   * `maxIter` caps its iterations). The final ‖F‖ is `Info.solverResidual`; above `tol` the move is rejected.
   */
  readonly multiplierSolver?: 'newton' | 'lbfgs';
  /**
   * Clamp every entry of ∇E to [−c, c] in the drift, as EBM training does (Du & Mordatch 2019; Ross
   * et al. 2023, App. B.1 "energy gradients clamped"). Unadjusted only; changes the target.
   */
  readonly gradClamp?: number;
  /** CG relative tolerance for `linearSolver: 'cg'` (default 1e-6). */
  readonly cgTol?: number;
  /** CG iteration cap for `linearSolver: 'cg'` (default 100). */
  readonly cgMaxIter?: number;
}

/**
 * Constrained Langevin Monte Carlo, Ross et al. (2023), Algorithm 1: r ~ N(0, I) projected onto
 * T_xM (eq. 11), then the constrained leapfrog step x' = x + εr − (ε²/2)∇E(x) − J_F(x)ᵀλ with
 * F(x') = 0 (eqs. 12–13). Where the paper minimizes eq. 14 by L-BFGS, λ is found here by Newton's
 * method (Zappa et al. 2018), and a chain whose solve does not reach ‖F‖ ≤ tol keeps its state
 * (reported in `Info.solverFailed`, residual in `Info.solverResidual`). Unadjusted by default.
 * Batched `[C, n]`; same Info as {@link constrainedHmc}.
 * @public
 */
export function constrainedLangevin(
  constraintFn: ConstraintFn,
  energyFn: EnergyFn,
  opts: ConstrainedLangevinOptions,
): ConstrainedKernel {
  const metropolis = opts.metropolis ?? false;
  const kernel = rattleKernel('constrainedLangevin', constraintFn, energyFn, {
    stepSize: opts.stepSize,
    numSteps: 1,
    tol: opts.tol ?? 1e-5,
    maxIter: opts.maxIter ?? 50,
    reversibilityCheck: metropolis,
    reversibilityTol: opts.reversibilityTol ?? 1e-4,
    metropolis,
    multiplierSolver: opts.multiplierSolver ?? 'newton',
    gradClamp: opts.gradClamp,
  });
  const solver = opts.linearSolver ?? 'exact';
  if (solver === 'exact') return kernel;
  if (solver !== 'cg')
    throw new ValueError(`constrainedLangevin: 'linearSolver' must be 'exact' or 'cg', got ${String(solver)}`);
  if (metropolis) throw new ValueError(`constrainedLangevin: 'metropolis' needs linearSolver 'exact', got 'cg'`);
  const cgTol = opts.cgTol ?? 1e-6;
  const cgMaxIter = opts.cgMaxIter ?? 100;
  assertPositive('constrainedLangevin', 'cgTol', cgTol);
  assertInteger('constrainedLangevin', 'cgMaxIter', cgMaxIter, 1);
  return cgLangevinStep(
    constraintFn,
    energyFn,
    {
      stepSize: opts.stepSize,
      tol: opts.tol ?? 1e-5,
      maxIter: opts.maxIter ?? 50,
      cgTol,
      cgMaxIter,
      multiplierSolver: opts.multiplierSolver ?? 'newton',
      gradClamp: opts.gradClamp,
    },
    kernel.init,
  );
}
