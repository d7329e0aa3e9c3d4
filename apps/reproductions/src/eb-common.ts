// Shared model for the empirical-bayes reproductions (eb-*.ts); MNIST and CLI helpers are in lib/.
// Not a reproduction itself (exports no `meta`), so the runner skips it.
import * as tf from '@tensorflow/tfjs-core';
import { type MlpParams, mlp } from '@walkjump/nets';

/**
 * A time-conditioned energy for dual score matching: U(y, t) = ‖y − m‖²/(2(t + v)) +
 * (d/2)log(2π(t + v)) + v/(t + v) · g_θ(y/√(t + v), log t) with g an MLP (swish). The Gaussian part is
 * exact for t ≫ v (the "nearly Gaussian at large t" regime the normalization relies on); the learned
 * correction is damped there by v/(t + v). `m` [d] and `v` are the data mean and per-coordinate variance.
 */
export function dsmEnergyModel(d: number, widths: readonly number[], m: readonly number[], v: number) {
  const net = mlp({ widths, activation: 'swish', zeroLastLayer: true });
  const energy = (params: MlpParams) => (y: tf.Tensor, t: tf.Tensor | number) =>
    tf.tidy(() => {
      const B = y.shape[0] as number;
      const tt = typeof t === 'number' ? tf.fill([B], t) : t;
      const tv = tf.reshape(tf.add(tt, v), [B, 1]);
      const yc = tf.sub(tf.reshape(y, [B, d]), tf.tensor1d(m as number[]));
      const gauss = tf.add(
        tf.div(tf.sum(tf.square(yc), 1), tf.mul(tf.reshape(tv, [B]), 2)),
        tf.mul(tf.log(tf.mul(tf.reshape(tv, [B]), 2 * Math.PI)), d / 2),
      );
      const feats = tf.concat([tf.div(yc, tf.sqrt(tv)), tf.div(tf.reshape(tf.log(tt), [B, 1]), 4)], 1);
      const corr = tf.mul(net.apply(params, feats), tf.div(v, tf.reshape(tv, [B])));
      return tf.add(gauss, corr);
    });
  return { net, energy, inputDim: d + 1 };
}
