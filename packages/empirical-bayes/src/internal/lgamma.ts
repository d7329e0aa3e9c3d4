import * as tf from '@tensorflow/tfjs-core';

/**
 * log Γ(z) for z > 0 as tfjs ops: shift z up by 6 (log Γ(z) = log Γ(z + 6) − log Π_{k<6}(z + k)) and
 * use Stirling's series with three correction terms there (absolute error < 1e-9 in exact
 * arithmetic; float32 rounding dominates).
 */
export function lgamma(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let prod = z;
    for (let k = 1; k < 6; k++) prod = tf.mul(prod, tf.add(z, k));
    const w = tf.add(z, 6);
    const w2 = tf.square(w);
    const series = tf.div(tf.sub(1 / 12, tf.div(tf.sub(1 / 360, tf.div(1 / 1260, w2)), w2)), w);
    const stirling = tf.add(tf.sub(tf.mul(tf.sub(w, 0.5), tf.log(w)), w), 0.5 * Math.log(2 * Math.PI));
    return tf.sub(tf.add(stirling, series), tf.log(prod));
  });
}
