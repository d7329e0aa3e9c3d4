// @walkjump/langevin — Langevin kernels (BlackJAX shape: init → State, step(key, state) → [State, Info])
// and the walk-jump driver.
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
export { initUniformPlusNoise, walkJump } from './walk-jump/walk-jump.ts';
export type { WalkJumpOptions, WalkJumpResult, WalkJumpSample } from './walk-jump/walk-jump.ts';
export { chengCoefficients, chengUnderdamped, sachsUnderdamped } from './kernels/underdamped.ts';
export type { ChengCoefficients, ChengState, UnderdampedKernel, UnderdampedOptions, UnderdampedState } from './kernels/underdamped.ts';
