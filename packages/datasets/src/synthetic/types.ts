import type * as tf from '@tensorflow/tfjs-core';
import type { Key } from '@walkjump/tensor';

/**
 * A synthetic distribution with known truth. `sample(key, n)` returns a new float32 tensor
 * `[n, ...eventShape]` owned by the caller; where the density is known in closed form,
 * `logProb(x)` returns the exact log-density `[n]` (caller owns it; `x` is not disposed).
 */
export interface Distribution {
  /** Shape of one sample, e.g. `[2]` for points in the plane. */
  readonly eventShape: readonly number[];
  /** Draws `n` independent samples with randomness from `key` (same key, same samples). */
  sample(key: Key, n: number): tf.Tensor;
  /** Exact log-density of each row of `x`, when it exists. */
  logProb?(x: tf.Tensor): tf.Tensor;
}
