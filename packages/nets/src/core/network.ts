import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, type Key, type Params as TreeParams, ShapeError, ValueError } from '@walkjump/tensor';

/**
 * A parameter tree: a plain readonly object or array whose leaves are tensors, the same trees that
 * `@walkjump/tensor`'s `fit`, optimizers and `flattenParams` work on.
 */
export type Params = TreeParams;

/**
 * A network in the functional style (Flax/Haiku): parameters are data, created by `init` and passed
 * to `apply`. Every network of this package is twice differentiable in its input and its parameters
 * (with `@walkjump/tensor`'s higher-order-safe gradients), so DEEN's double backprop (Saremi &
 * Hyvärinen 2019, eq. 3) and denoising/time score matching (Guth et al., 004) train through it.
 * @typeParam P - the parameter tree type.
 */
export interface Network<P extends Params = Params> {
  /** A short description used in error messages, e.g. `mlp[64, 64 → 1, swish]`. */
  readonly name: string;
  /**
   * Draws fresh parameters for inputs of per-sample shape `inputShape` (without the batch axis).
   * Deterministic in `key`. The caller owns the returned tensors (dispose with `disposeParams`).
   */
  init(key: Key, inputShape: readonly number[]): P;
  /**
   * Applies the network to a batch `x` of shape [B, ...inputShape]; `cond` is an optional per-sample
   * conditioning (time t or noise level σ, shape [B] or a scalar) for networks that take one.
   * Validates shapes before computing; disposes nothing it was given; the caller owns the result.
   */
  apply(params: P, x: tf.Tensor, cond?: tf.Tensor | number): tf.Tensor;
}

/** Weight initialization schemes (biases always start at 0). */
export type InitScheme = 'he' | 'glorot';

/** `[a, b, c]` for error messages. */
export const showShape = (s: readonly (number | string)[]): string => `[${s.join(', ')}]`;

/** Validates an `init` scheme option. */
export function checkInitScheme(fn: string, s: unknown): InitScheme {
  const v = s ?? 'he';
  if (v !== 'he' && v !== 'glorot') throw new ValueError(`${fn}: 'init' must be 'he' or 'glorot', got ${String(v)}`);
  return v;
}

/** Validates a per-sample input shape given to `init`. */
export function checkInputShape(name: string, inputShape: unknown, rank?: number): number[] {
  if (!Array.isArray(inputShape) || inputShape.length === 0 || (rank !== undefined && inputShape.length !== rank)) {
    const want =
      rank === 3
        ? 'a per-sample image shape [H, W, C]'
        : rank === undefined
          ? 'a non-empty per-sample shape'
          : `a per-sample shape of rank ${rank}`;
    throw new ShapeError(
      `${name}.init: 'inputShape' must be ${want}, got ${Array.isArray(inputShape) ? showShape(inputShape) : String(inputShape)}`,
    );
  }
  inputShape.forEach((s, i) => {
    assertInteger(`${name}.init`, `inputShape[${i}]`, s, 1);
  });
  return [...(inputShape as number[])];
}

/** Throws a ShapeError unless `x` is float32 with shape [B, ...expected] (B ≥ 1). */
export function checkBatch(name: string, x: unknown, expected: readonly number[], what = 'x'): tf.Tensor {
  if (!(x instanceof tf.Tensor))
    throw new ShapeError(
      `${name}.apply: input '${what}' must be a tensor of shape [B, ${expected.join(', ')}], got ${typeof x}`,
    );
  const ok = x.rank === expected.length + 1 && expected.every((s, i) => x.shape[i + 1] === s) && (x.shape[0] ?? 0) >= 1;
  if (!ok)
    throw new ShapeError(
      `${name}.apply: input '${what}' must have shape [B, ${expected.join(', ')}], got ${showShape(x.shape)}`,
    );
  if (x.dtype !== 'float32') throw new ShapeError(`${name}.apply: input '${what}' must be float32, got ${x.dtype}`);
  return x;
}

/**
 * Reads a per-sample conditioning `cond` (t or σ) as a float32 [B] tensor (a number or scalar is
 * broadcast). Throws ShapeError naming the network when its shape is neither [], [B] nor [B, 1].
 * The result is a new tensor (tracked by an enclosing tidy).
 */
export function condVector(name: string, cond: tf.Tensor | number | undefined, B: number): tf.Tensor1D {
  if (cond === undefined)
    throw new ValueError(
      `${name}.apply: this network is conditioned; pass 'cond' (t or σ) as a number or a [B] tensor`,
    );
  if (typeof cond === 'number') {
    if (!Number.isFinite(cond)) throw new ValueError(`${name}.apply: 'cond' must be finite, got ${cond}`);
    return tf.fill([B], cond) as tf.Tensor1D;
  }
  if (!(cond instanceof tf.Tensor))
    throw new ShapeError(`${name}.apply: 'cond' must be a number or a tensor of shape [${B}], got ${typeof cond}`);
  if (cond.size === 1 && !(cond.rank === 1 && B === 1))
    return tf.broadcastTo(tf.reshape(tf.cast(cond, 'float32'), [1]), [B]) as tf.Tensor1D;
  if (!((cond.rank === 1 && cond.shape[0] === B) || (cond.rank === 2 && cond.shape[0] === B && cond.shape[1] === 1))) {
    throw new ShapeError(
      `${name}.apply: 'cond' must have shape [${B}] (one t or σ per sample) or be a scalar, got ${showShape(cond.shape)}`,
    );
  }
  return tf.reshape(tf.cast(cond, 'float32'), [B]) as tf.Tensor1D;
}

/** The product of a shape. */
export const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A ShapeError for `name.apply` naming the expected and received shapes of `what`. */
export function inputShapeError(name: string, want: string, x: unknown, what = 'x'): ShapeError {
  return new ShapeError(
    `${name}.apply: input '${what}' must have shape ${want}, got ${x instanceof tf.Tensor ? showShape(x.shape) : typeof x}`,
  );
}
