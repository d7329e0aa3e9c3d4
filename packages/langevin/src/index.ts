// @walkjump/langevin — Langevin kernels (BlackJAX shape: init → State, step(key, state) → [State, Info]),
// the walk-jump driver, lifelong chains, multimeasurement samplers, diffusion samplers.
export { mala, ula } from './kernels/overdamped.ts';
export type {
  Kernel,
  KernelInfo,
  KernelState,
  LangevinOptions,
  LangevinParameterization,
  LangevinTarget,
  MalaState,
  UlaState,
} from './kernels/overdamped.ts';
export type { StepSize } from './internal/per-chain.ts';
export { chengCoefficients, chengUnderdamped, sachsUnderdamped } from './kernels/underdamped.ts';
export type {
  ChengCoefficients,
  ChengState,
  UnderdampedKernel,
  UnderdampedOptions,
  UnderdampedState,
} from './kernels/underdamped.ts';
export { walkJump } from './walk-jump/walk-jump.ts';
export type { WalkJumpOptions, WalkJumpResult, WalkJumpSample } from './walk-jump/walk-jump.ts';
export { initChains, initDataPlusNoise, initUniform, initUniformPlusNoise } from './walk-jump/init.ts';
export type { InitScheme } from './walk-jump/init.ts';
export { reverseDiffusion, stochasticLocalization } from './diffusion/diffusion.ts';
export type {
  ReverseDiffusionOptions,
  StochasticLocalizationOptions,
  StochasticLocalizationResult,
} from './diffusion/diffusion.ts';
export {
  jointMultimeasurement,
  multimeasurementDenoise,
  sequentialConditionalScore,
  sequentialMultimeasurement,
} from './multimeasurement/multimeasurement.ts';
export type {
  MultimeasurementOptions,
  MultimeasurementResult,
  NoiseConditionedScore,
} from './multimeasurement/multimeasurement.ts';
export { lifelongChain } from './lifelong/lifelong.ts';
export type {
  DivergenceEvent,
  LifelongCheck,
  LifelongOptions,
  LifelongResult,
  LifelongSample,
} from './lifelong/lifelong.ts';
