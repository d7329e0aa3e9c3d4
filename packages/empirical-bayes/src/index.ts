// @walkjump/empirical-bayes — Robbins/Miyasawa/Tweedie estimators, their losses and closed-form references.

// --- estimators (jumps)
export { tweedie, tweedieFromEnergy } from './estimators/tweedie.ts';
export {
  multimeasurementTweedie,
  multimeasurementTweedieFromEnergy,
  plugInEstimator,
  sigmaEff,
  meanMeasurementTweedie,
} from './estimators/multimeasurement.ts';
export type {
  MeasurementIndex,
  MultimeasurementOptions,
  MultimeasurementDenoiser,
} from './estimators/multimeasurement.ts';
export { poissonMultimeasurementTweedie } from './estimators/poisson.ts';
export type { PoissonTweedieOptions } from './estimators/poisson.ts';
export { binaryFlipNoise, binaryFlipPosteriorMean, binaryFlipDenoiser } from './estimators/binary.ts';

// --- closed-form references
export { gaussianKdeEnergy } from './references/kde.ts';
export type { GaussianKde, GaussianKdeOptions } from './references/kde.ts';
export { gaussianMDensity } from './references/m-density.ts';
export type { GaussianMDensity, GaussianMDensityOptions } from './references/m-density.ts';
export { poissonExponentialExample } from './references/poisson.ts';
export type { PoissonExponentialExample } from './references/poisson.ts';
export { gaussianMixtureDiffusion } from './references/mixture.ts';
export type { GaussianMixtureDiffusion, GaussianMixtureSpec, TimeArg } from './references/mixture.ts';
export { binaryFlipMixture } from './references/binary.ts';
export type { BinaryFlipMixture } from './references/binary.ts';

// --- learning objectives (per sample; the caller reduces)
export { deenLoss } from './losses/deen.ts';
export type { DeenLossOptions } from './losses/deen.ts';
export {
  multimeasurementNoise,
  multimeasurementLoss,
  mdsmLoss,
  mdaeScore,
  mdaeLoss,
  mem2Energy,
  mem2Loss,
  muvbEnergy,
  muvbLoss,
} from './losses/multimeasurement.ts';
export type {
  EnergyOrScore,
  MultimeasurementNoiseOptions,
  MultiDenoiserFn,
  MetaencoderFn,
  Mem2LossOptions,
  GaussianPosterior,
  MuvbModel,
  MuvbOptions,
  MuvbLossOptions,
} from './losses/multimeasurement.ts';
export { dualScoreMatchingLoss, logUniformTimes, normalizeEnergy, logProb } from './losses/dual-score.ts';
export type {
  TimeSchedule,
  DualScoreMatchingOptions,
  NormalizeEnergyOptions,
  NormalizedEnergy,
  LogProbOptions,
  LogProbResult,
} from './losses/dual-score.ts';
export { binaryDenoisingLoss, binaryScoreFromLogits } from './losses/binary.ts';
export type { BinaryLogitFn, BinaryDenoisingLossOptions } from './losses/binary.ts';

// --- geometry and memory
export { chiStatistics, criticalSigma } from './geometry/chi.ts';
export type { ChiStatistics, ChiStatisticsOptions } from './geometry/chi.ts';
export { effectiveDimension } from './geometry/effective-dimension.ts';
export type {
  EffectiveDimension,
  EffectiveDimensionModel,
  EffectiveDimensionOptions,
} from './geometry/effective-dimension.ts';
export { associativeMemory, creativeModes } from './memory/associative.ts';
export type { AssociativeMemoryOptions, AssociativeMemoryResult, CreativeModesOptions } from './memory/associative.ts';
