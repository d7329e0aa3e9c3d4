import * as tf from '@tensorflow/tfjs-core';
import { assertFloat, assertPositive, type EnergyFn, type Key, normal, ShapeError, ValueError } from '@walkjump/tensor';

/** Options of {@link deenLoss}. */
export interface DeenLossOptions {
  /** Noise level σ > 0 of the measurement Y = X + N(0, σ²I). */
  readonly sigma: number;
  /**
   * Check that `x` holds no NaN or ±∞ (one scalar read-back per call). Default true; turn off in a
   * hot training loop whose batches are already validated.
   */
  readonly checkFinite?: boolean;
}

/**
 * The DEEN (neural empirical Bayes) loss of Saremi & Hyvärinen (2019), eq. 3, per sample:
 * ℓ_b = ‖x_b − y_b + σ²∇_y E(y_b)‖², with y = x + σε, ε ~ N(0, I) drawn inside from `key` as
 * `normal(key, x.shape)`. Returns the unreduced losses, shape [B], for `x` of shape [B, ...]; the
 * caller reduces (usually the mean) and owns the result. Differentiable in anything `energy` closes
 * over (double backprop: `tf.variableGrads` / `tf.grads` of the mean work). For the exact energy of
 * Y its expectation is the Bayes risk E‖X − E[X|Y]‖². Throws `ValueError` for σ ≤ 0 or non-finite
 * data and `ShapeError` when `x` is not a float batch or `energy` does not return [B].
 */
export function deenLoss(key: Key, energy: EnergyFn, x: tf.Tensor, opts: DeenLossOptions): tf.Tensor {
  const fn = 'deenLoss';
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { sigma } are required`);
  assertPositive(fn, 'sigma', opts.sigma);
  if (!(x instanceof tf.Tensor)) throw new ShapeError(`${fn}: 'x' must be a tensor [B, ...]`);
  if (x.rank < 1 || x.shape[0] === 0) {
    throw new ShapeError(`${fn}: 'x' must be a non-empty batch [B, ...], got [${x.shape.join(', ')}]`);
  }
  assertFloat(fn, 'x', x);
  if (opts.checkFinite !== false) {
    const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.equal(tf.sub(x, x), 0))));
    const isBad = bad.dataSync()[0] === 1;
    bad.dispose();
    if (isBad) throw new ValueError(`${fn}: 'x' contains NaN or ±Infinity`);
  }
  const B = x.shape[0]!;
  const s2 = opts.sigma * opts.sigma;
  const eps = normal(key, x.shape);
  try {
    return tf.tidy(() => {
      const y = tf.add(x, tf.mul(eps, opts.sigma));
      const g = tf.grad((z: tf.Tensor) => {
        const e = energy(z);
        if (e.rank !== 1 || e.shape[0] !== B) {
          throw new ShapeError(`${fn}: 'energy' must return per-sample energies [${B}], got [${e.shape.join(', ')}]`);
        }
        return tf.sum(e);
      })(y);
      const r = tf.add(tf.sub(x, y), tf.mul(g, s2));
      return tf.sum(tf.reshape(tf.square(r), [B, -1]), 1);
    });
  } finally {
    eps.dispose();
  }
}
