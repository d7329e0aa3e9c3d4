// @walkjump/metrics — distances between samples, MCMC diagnostics and model-level metrics.
// Inputs are read once at the boundary; every computation runs in float64 JavaScript arrays.

// --- inputs
export type { Points, PointArray, Values, GroundCost } from './internal/points.ts';

// --- optimal transport
export { emd } from './distances/network-simplex.ts';
export type { EmdResult, EmdOptions } from './distances/network-simplex.ts';
export { wasserstein1, gridWasserstein, histogramWasserstein } from './distances/wasserstein.ts';
export type { Wasserstein1Options, GridSpec, GridWassersteinOptions } from './distances/wasserstein.ts';
export { sinkhorn, sinkhornDivergence } from './distances/sinkhorn.ts';
export type { SinkhornOptions, SinkhornResult } from './distances/sinkhorn.ts';
export { slicedWasserstein, wasserstein1d } from './distances/sliced.ts';
export type { SlicedWassersteinOptions } from './distances/sliced.ts';

// --- kernel and feature distances
export { mmd, medianHeuristic, kid, energyDistance } from './distances/mmd.ts';
export type { MmdKernel, MmdOptions, KidOptions, KidResult } from './distances/mmd.ts';
export {
  frechetDistance,
  frechetDistanceFromStats,
  featureStats,
  fid,
  symmetricEigen,
  sqrtmPsd,
} from './distances/frechet.ts';
export type { FeatureStats, FidOptions, FidResult, SymmetricEigen } from './distances/frechet.ts';

// --- MCMC diagnostics
export type { Chains } from './diagnostics/chains.ts';
export {
  autocorrelation,
  integratedAutocorrTime,
  essBulk,
  essTail,
  essMean,
  rhat,
  mcse,
  essPerSecond,
  essPerGradient,
} from './diagnostics/ess.ts';
export type { IatOptions } from './diagnostics/ess.ts';
export { modeCoverage, modeWeightError } from './diagnostics/coverage.ts';
export type { Labels, ModeCoverage } from './diagnostics/coverage.ts';

// --- model-level metrics
export {
  nll,
  nearestNeighbourDistances,
  memorizationTest,
  generalizationScore,
  manifoldDistanceStats,
} from './model/model.ts';
export type {
  NllResult,
  NearestNeighbours,
  MemorizationResult,
  GeneralizationScore,
  DistanceStats,
} from './model/model.ts';
