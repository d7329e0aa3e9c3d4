// @walkjump/tensor — the floor every walkjump package stands on.
// Importing it registers every tfjs gradient, replaces the ones that are wrong at second order,
// and fills the wasm backend's kernel gaps.
import './gradients/register.ts';

export {
  WalkJumpError,
  ShapeError,
  ValueError,
  NonFiniteError,
  BackendError,
  DataError,
  isWalkJumpError,
  isShapeError,
  isValueError,
  isNonFiniteError,
  isBackendError,
  isDataError,
} from './errors/errors.ts';
export type { WalkJumpErrorCode } from './errors/errors.ts';
export {
  assertPositive,
  assertNonNegative,
  assertInteger,
  assertFinite,
  assertRank,
  assertShape,
  assertSameShape,
  assertFloat,
} from './errors/validate.ts';
export { useBackend, backendInfo, parseBackendName } from './backend/backend.ts';
export type { BackendName, BackendInfo } from './backend/backend.ts';
export { key, keyFromWords, isKey, split, foldIn, normal, uniform, bernoulli, categorical, permutation } from './random/keys.ts';
export type { Key } from './random/keys.ts';
export { grad, valueAndGrad, vjp, jvp, hvp, inputGrad, divergence } from './autodiff/autodiff.ts';
export type { ScalarFn, TensorFn } from './autodiff/autodiff.ts';
export { scoreOf, conditionedScoreOf, tweedie, scoreFromDenoiser } from './vocab/vocab.ts';
export type {
  EnergyFn,
  ScoreFn,
  Denoiser,
  ConditionedEnergyFn,
  ConditionedScoreFn,
  ConditionedDenoiser,
} from './vocab/vocab.ts';
