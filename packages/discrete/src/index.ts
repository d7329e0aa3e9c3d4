// @walkjump/discrete — samplers for binary data and walk-jump on the hypercube {−1, 1}^d.

// --- targets with exact answers
export type { LogProbFn, GradFn, DiscreteTarget } from './targets/types.ts';
export {
  productBernoulli,
  ising,
  randomIsing,
  isingLattice,
  isingMagnetization,
  ISING_CRITICAL_COUPLING,
  rbm,
  toSpins,
  toBinary,
} from './targets/models.ts';
export type { DiscreteModel, IsingParams, IsingLatticeOptions, RbmParams } from './targets/models.ts';
export {
  exactDistribution,
  exactMoments,
  enumerateStates,
  empiricalDistribution,
  totalVariation,
  expectedEmpiricalTV,
  MAX_ENUMERABLE_DIM,
} from './targets/exact.ts';
export type { ExactDistribution } from './targets/exact.ts';

// --- samplers (BlackJAX kernels)
export type {
  DiscreteState,
  DiscreteInfo,
  DiscreteKernel,
  LogProbState,
  GradState,
  ScoreState,
} from './samplers/types.ts';
export { gibbs } from './samplers/gibbs.ts';
export type { GibbsOptions } from './samplers/gibbs.ts';
export { metropolis } from './samplers/metropolis.ts';
export type { MetropolisOptions } from './samplers/metropolis.ts';
export { gibbsWithGradients } from './samplers/gwg.ts';
export { rbmBlockedGibbs } from './samplers/rbm.ts';
export type { RbmGibbsState } from './samplers/rbm.ts';
export { dula, dmala, discreteLangevin, twoStageDiscreteLangevin } from './samplers/langevin.ts';
export type { DiscreteLangevinOptions, DulaState, ScoreLangevinOptions } from './samplers/langevin.ts';

// --- binary-flip noise, denoiser, walk-jump
export { flipNoise, noisyLogProb, noisyScore, posteriorMean, binaryDenoiser, binaryWalkJump } from './noise/flip.ts';
export type { BinaryWalkJumpOptions, BinaryWalkJumpResult } from './noise/flip.ts';
