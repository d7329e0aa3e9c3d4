import type { EnergyFn } from '@walkjump/tensor';
import type { ConstraintFn } from '../types.ts';
import { type ConstrainedKernel, rattleKernel } from './rattle.ts';

/** Options of {@link constrainedHmc}. @public */
export interface ConstrainedHmcOptions {
  /** Leapfrog step size h > 0. */
  readonly stepSize: number;
  /** Leapfrog (RATTLE) steps per proposal (default 10). */
  readonly numSteps?: number;
  /** Newton stopping tolerance on ‖F(x)‖ per chain; every accepted state satisfies it (default 1e-5). */
  readonly tol?: number;
  /** Newton iterations per solve (default 50). */
  readonly maxIter?: number;
  /** Distance within which the backward solve must return to the start of each step (default 1e-4). */
  readonly reversibilityTol?: number;
  /**
   * How the position equation F(x + h(p − (h/2)∇E) − J(x)ᵀλ) = 0 is solved for λ: `'newton'`
   * (default; quadratic convergence, J(x')J(x)ᵀ solves) or `'lbfgs'` (eq. 14 of Ross et al. 2023,
   * L-BFGS with strong-Wolfe line search on ½‖F‖², App. B.1). Either way a solve that ends above
   * `tol` rejects the move.
   */
  readonly multiplierSolver?: 'newton' | 'lbfgs';
}

/**
 * Constrained Hamiltonian Monte Carlo on M = {F = 0} targeting e^{−E(x)} with respect to the Hausdorff
 * measure of M (Brubaker, Salzmann & Urtasun 2012; Zappa, Holmes-Cerfon & Goodman 2018;
 * Lelièvre, Rousset & Stoltz 2019). Unit mass; momentum p ~ N(0, I) projected onto T_xM; then
 * `numSteps` RATTLE steps (Andersen 1983): x' = x + h(p − (h/2)∇E(x)) − J(x)ᵀλ with λ from Newton
 * on F(x') = 0, p' the projection onto T_{x'}M of (x' − x)/h − (h/2)∇E(x'). Each step is re-solved
 * backward from (x', −p'); if it does not return to x within `reversibilityTol` (or any solve
 * fails) the chain's proposal is rejected. Accept with probability min(1, e^{H₀ − H₁}),
 * H = E(x) + ½‖p‖². Batched: `position` is `[C, n]`, each chain accepts on its own.
 *
 * Linear algebra is dense in k = n − m (J formed by one reverse pass over k stacked copies, k×k
 * solves in float64 on the host): meant for small codimension. Throws only on misuse (shapes, a
 * start off M, non-positive step size).
 * @public
 */
export function constrainedHmc(
  constraintFn: ConstraintFn,
  energyFn: EnergyFn,
  opts: ConstrainedHmcOptions,
): ConstrainedKernel {
  return rattleKernel('constrainedHmc', constraintFn, energyFn, {
    stepSize: opts.stepSize,
    numSteps: opts.numSteps ?? 10,
    tol: opts.tol ?? 1e-5,
    maxIter: opts.maxIter ?? 50,
    reversibilityCheck: true,
    reversibilityTol: opts.reversibilityTol ?? 1e-4,
    metropolis: true,
    multiplierSolver: opts.multiplierSolver ?? 'newton',
    gradClamp: undefined,
  });
}
