// @walkjump/manifold — constrained MCMC on implicitly defined and learned manifolds.
export type { ConstraintFn } from './types.ts';
export { sphere, circle, torus, ellipsoid, so3 } from './analytic/analytic.ts';
export type { AnalyticManifold } from './analytic/analytic.ts';
export { tangentProject, projectToManifold, nearestPoint } from './geometry/geometry.ts';
export type {
  TangentProjectOptions,
  TangentProjectResult,
  ProjectOptions,
  ProjectResult,
  NearestPointOptions,
} from './geometry/geometry.ts';
export { disposeConstrainedState } from './samplers/rattle.ts';
export type { ConstrainedState, ConstrainedInfo, ConstrainedKernel } from './samplers/rattle.ts';
export { constrainedHmc } from './samplers/hmc.ts';
export type { ConstrainedHmcOptions } from './samplers/hmc.ts';
export { constrainedLangevin } from './samplers/langevin.ts';
export type { ConstrainedLangevinOptions } from './samplers/langevin.ts';
export { mdfLoss, intersection, union } from './mdf/mdf.ts';
export type { MdfLossOptions } from './mdf/mdf.ts';
export { ebmLangevin, ReplayBuffer } from './learning/negatives.ts';
export type { EbmLangevinOptions, ReplayBufferOptions } from './learning/negatives.ts';
export { fitMdf } from './learning/fit-mdf.ts';
export type { FitMdfOptions, LearningResult, LearningStepEvent, ParametricConstraintFn } from './learning/fit-mdf.ts';
export { constrainedEbm, constrainedEbmLoss } from './learning/cebm.ts';
export type { ConstrainedEbmOptions, ConstrainedEbmLossOptions, ConstrainedEbmSampler } from './learning/cebm.ts';
