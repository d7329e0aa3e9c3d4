import * as tf from '@tensorflow/tfjs-core';
import { key, normal } from '@walkjump/tensor';

/** A correlated 3-D Gaussian target for 16 chains, and a linear "jump". */
export function chainSetup() {
  const A = tf.tensor2d([
    [1.5, 0.4, 0],
    [0.4, 1, 0.3],
    [0, 0.3, 0.7],
  ]);
  const score = (y: tf.Tensor) => tf.tidy(() => tf.neg(tf.matMul(y as tf.Tensor2D, A as tf.Tensor2D)));
  const jump = (y: tf.Tensor) => tf.tidy(() => tf.mul(y, 0.5));
  const init = normal(key(3), [16, 3]);
  return { score, jump, init, dispose: () => A.dispose() };
}
