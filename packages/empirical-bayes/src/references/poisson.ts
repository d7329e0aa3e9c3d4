import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, type EnergyFn, ShapeError } from '@walkjump/tensor';
import { checkBatch } from '../internal/checks.ts';
import { lgamma } from '../internal/lgamma.ts';

/** The closed-form Poisson example of {@link poissonExponentialExample}; y is [B, M] counts. */
export interface PoissonExponentialExample {
  /** log p(y) = log (Σy)! − Σ log y_l! − (1 + Σy) log(M + 1), normalized, shape [B]. */
  readonly logMass: EnergyFn;
  /** The Bayes estimator x̂(y) = (Σ_l y_l + 1)/(M + 1), shape [B]. */
  readonly bayes: (y: tf.Tensor) => tf.Tensor;
}

/**
 * The analytic Poisson example of Saremi & Srivastava (2022), Sec. 2.1: X ~ Exp(1) (p(x) = e^{−x}),
 * Y_l ~ Poisson(X), l ∈ [M]. Then p(y) = (Σ_l y_l)!/Π_l y_l! · (M + 1)^{−1−Σ_l y_l} and eq. 5 gives
 * x̂(y) = (Σ_l y_l + 1)/(M + 1) for every m. Both functions take counts y [B, M] (float32) and
 * return [B]; the caller owns the results.
 */
export function poissonExponentialExample(M: number): PoissonExponentialExample {
  const fn = 'poissonExponentialExample';
  assertInteger(fn, 'M', M, 1);
  const check = (name: string, y: tf.Tensor): void => {
    checkBatch(`${fn}.${name}`, 'y', y, 2);
    if (y.rank !== 2 || y.shape[1] !== M)
      throw new ShapeError(`${fn}.${name}: 'y' must have shape [B, ${M}], got [${y.shape.join(', ')}]`);
  };
  const logMass: EnergyFn = (y) => {
    check('logMass', y);
    return tf.tidy(() => {
      const S = tf.sum(y, 1);
      return tf.sub(
        tf.sub(lgamma(tf.add(S, 1)), tf.sum(lgamma(tf.add(y, 1)), 1)),
        tf.mul(tf.add(S, 1), Math.log(M + 1)),
      );
    });
  };
  const bayes = (y: tf.Tensor): tf.Tensor => {
    check('bayes', y);
    return tf.tidy(() => tf.div(tf.add(tf.sum(y, 1), 1), M + 1));
  };
  return { logMass, bayes };
}
