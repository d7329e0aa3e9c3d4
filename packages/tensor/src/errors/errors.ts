/**
 * The walkjump error family. Every public entry point validates its inputs and throws one of these,
 * with a message that names the function and argument, what was expected and what came.
 */

/** Machine-readable error codes of the {@link WalkJumpError} family. */
export type WalkJumpErrorCode = 'SHAPE' | 'VALUE' | 'NON_FINITE' | 'BACKEND' | 'DATA' | 'INTERNAL';

/**
 * Base class of every error thrown on purpose by walkjump. `code` tells the kind without
 * `instanceof` (which breaks across duplicated package copies); use the `isX` guards.
 */
export class WalkJumpError extends Error {
  /** Machine-readable kind of the error. */
  readonly code: WalkJumpErrorCode;
  constructor(message: string, code: WalkJumpErrorCode = 'INTERNAL', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WalkJumpError';
    this.code = code;
  }
}

/** A tensor or array had the wrong rank, shape or dtype. */
export class ShapeError extends WalkJumpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'SHAPE', options);
    this.name = 'ShapeError';
  }
}

/** A hyperparameter or argument had an invalid value (e.g. σ ≤ 0, M < 1). */
export class ValueError extends WalkJumpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'VALUE', options);
    this.name = 'ValueError';
  }
}

/** A computation produced NaN or ±Infinity (e.g. a diverging training run). */
export class NonFiniteError extends WalkJumpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'NON_FINITE', options);
    this.name = 'NonFiniteError';
  }
}

/** A requested backend is not installed or failed to initialize. */
export class BackendError extends WalkJumpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'BACKEND', options);
    this.name = 'BackendError';
  }
}

/** A data file is missing, corrupt, truncated or fails its checksum. */
export class DataError extends WalkJumpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'DATA', options);
    this.name = 'DataError';
  }
}

const hasCode = (e: unknown, code: WalkJumpErrorCode): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code && e instanceof Error;

/** True when `e` belongs to the walkjump error family. */
export const isWalkJumpError = (e: unknown): e is WalkJumpError =>
  e instanceof WalkJumpError ||
  (e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && /Error$/.test(e.name) && 'code' in e);
/** True when `e` is a {@link ShapeError}. */
export const isShapeError = (e: unknown): e is ShapeError => hasCode(e, 'SHAPE');
/** True when `e` is a {@link ValueError}. */
export const isValueError = (e: unknown): e is ValueError => hasCode(e, 'VALUE');
/** True when `e` is a {@link NonFiniteError}. */
export const isNonFiniteError = (e: unknown): e is NonFiniteError => hasCode(e, 'NON_FINITE');
/** True when `e` is a {@link BackendError}. */
export const isBackendError = (e: unknown): e is BackendError => hasCode(e, 'BACKEND');
/** True when `e` is a {@link DataError}. */
export const isDataError = (e: unknown): e is DataError => hasCode(e, 'DATA');
