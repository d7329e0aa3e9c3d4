// @walkjump/tensor — the floor every walkjump package stands on.
// Importing it registers every tfjs gradient, replaces the ones that are wrong at second order,
// and fills the wasm backend's kernel gaps.
import './gradients/register.ts';
import './backend/wasm-kernels.ts';

// --- errors and validation
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

// --- backends
export { useBackend, backendInfo, parseBackendName } from './backend/backend.ts';
export type { BackendName, BackendInfo, UseBackendOptions } from './backend/backend.ts';

// --- randomness
export { key, keyFromWords, isKey, split, foldIn, normal, uniform, bernoulli, categorical, permutation } from './random/keys.ts';
export type { Key } from './random/keys.ts';

// --- differentiation
export { grad, valueAndGrad, vjp, jvp, hvp, inputGrad, divergence } from './autodiff/autodiff.ts';
export type { ScalarFn, TensorFn } from './autodiff/autodiff.ts';
export { SAFE_GRADIENT_KERNELS } from './gradients/safe.ts';

// --- vocabulary
export { scoreOf, conditionedScoreOf, tweedie, scoreFromDenoiser } from './vocab/vocab.ts';
export type {
  EnergyFn,
  ScoreFn,
  Denoiser,
  ConditionedEnergyFn,
  ConditionedScoreFn,
  ConditionedDenoiser,
} from './vocab/vocab.ts';

// --- numerics (conjugate gradients, L-BFGS, linear algebra)
export { cg } from './numerics/cg.ts';
export type { CgOptions, CgResult } from './numerics/cg.ts';
export { lbfgs, strongWolfeLineSearch } from './numerics/lbfgs.ts';
export type { LbfgsOptions, LbfgsResult, LbfgsStep, LineSearchPoint, LineSearchResult, StrongWolfeOptions } from './numerics/lbfgs.ts';
export { logSumExp, softplus, logSigmoid, swish } from './numerics/stable.ts';
export { symmetricEig, sqrtmPsd } from './numerics/linalg.ts';
export type { SymmetricEig } from './numerics/linalg.ts';

// --- training (fit, optimizers, parameter trees)
export { flattenParams, unflattenParams, paramCount, paramLeaves, paramsStructure, mapParams, disposeParams } from './train/params.ts';
export type { Params, ParamsStructure } from './train/params.ts';
export { adam, sgd, applyUpdates, globalNorm, clipByGlobalNorm, optStateStructure, disposeOptState } from './train/optimizers.ts';
export type { Optimizer, OptState, OptStateStructure, LearningRate } from './train/optimizers.ts';
export { fit, FitNonFiniteError } from './train/fit.ts';
export type { FitOptions, FitResult, FitStepEvent } from './train/fit.ts';

// --- persistence (safetensors, atomic writes)
export { serializeSafetensors, serializeSafetensorsAsync, parseSafetensors } from './io/safetensors.ts';
export type { SafetensorsDtype, ParsedSafetensors } from './io/safetensors.ts';
export { writeFileAtomic, writeJsonAtomic, saveSafetensors, loadSafetensors } from './io/files.ts';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, CHECKPOINT_MANIFEST } from './io/checkpoint.ts';
export type { Checkpoint, CheckpointManifest } from './io/checkpoint.ts';
