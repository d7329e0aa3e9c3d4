import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type ConditionedDenoiser,
  type ConditionedEnergyFn,
  type Key,
  normal,
  ValueError,
} from '@walkjump/tensor';
import { checkBatch, checkOutShape, checkPerSample } from '../internal/checks.ts';

/** A time-conditioned model for {@link effectiveDimension}. */
export interface EffectiveDimensionModel {
  /** U(y, t) = −log p(y, t) + c with c independent of t (e.g. trained by dual score matching); t is [B]. */
  readonly energy: ConditionedEnergyFn;
  /** E[X | Y_t = y]; default y − t∇_y U(y, t) (Tweedie). */
  readonly denoiser?: ConditionedDenoiser;
}

/** Options of {@link effectiveDimension}. */
export interface EffectiveDimensionOptions {
  /** Monte Carlo draws of y = x + √t z per point; default 64. */
  readonly samples?: number;
}

/** Both estimates of d_eff(x, t), each [B]; see {@link effectiveDimension}. */
export interface EffectiveDimension {
  /** d + 2t ∂_t E_y[log p(y, t) | x]. */
  readonly fromTime: tf.Tensor;
  /** (1/t) E_y[‖x − E[x | y]‖² | x]. */
  readonly fromDenoising: tf.Tensor;
}

/**
 * The effective dimensionality of Guth, Kadkhodaie & Simoncelli at x and scale t, by both of their
 * definitions, which coincide for the exact density: d_eff(x, t) = d + 2t ∂_t E_y[log p(y, t) | x]
 * and d_eff(x, t) = (1/t) E_y[‖x − E[x | y]‖² | x], y = x + √t z. Both expectations use the same
 * `samples` draws z (from `key`); the t-derivative is the total derivative of U(x + √t z, t) by
 * autodiff (no finite differences). `x` is [B, ...]; returns two [B] tensors the caller owns.
 */
export function effectiveDimension(
  key: Key,
  model: EffectiveDimensionModel,
  x: tf.Tensor,
  t: number,
  opts: EffectiveDimensionOptions = {},
): EffectiveDimension {
  const fn = 'effectiveDimension';
  if (model === null || typeof model !== 'object' || typeof model.energy !== 'function') {
    throw new ValueError(`${fn}: 'model' must be { energy, denoiser? } with functions`);
  }
  assertPositive(fn, 't', t);
  const B = checkBatch(fn, 'x', x);
  const S = opts.samples ?? 64;
  assertInteger(fn, 'samples', S, 1);
  const d = x.size / B;
  const rest = x.shape.slice(1);
  const z = normal(key, [S * B, ...rest]);
  try {
    return tf.tidy(() => {
      const xr = tf.reshape(tf.tile(tf.expandDims(x, 0), [S, ...new Array<number>(x.rank).fill(1)]), [S * B, ...rest]);
      const tv = tf.fill([S * B], t);
      const dUdt = tf.grad((tt: tf.Tensor) => {
        const ts = tf.reshape(tf.sqrt(tt), [S * B, ...new Array<number>(rest.length).fill(1)]);
        const u = model.energy(tf.add(xr, tf.mul(z, ts)), tt);
        checkPerSample(fn, 'energy', u, S * B);
        return tf.sum(u);
      })(tv);
      const fromTime = tf.sub(d, tf.mul(tf.mean(tf.reshape(dUdt, [S, B]), 0), 2 * t));
      const y = tf.add(xr, tf.mul(z, Math.sqrt(t)));
      let xh: tf.Tensor;
      if (model.denoiser !== undefined) {
        xh = model.denoiser(y, tv);
        checkOutShape(fn, 'denoiser', xh, y.shape);
      } else {
        const g = tf.grad((yy: tf.Tensor) => tf.sum(model.energy(yy, tv)))(y);
        xh = tf.sub(y, tf.mul(g, t));
      }
      const err = tf.sum(tf.reshape(tf.square(tf.sub(xr, xh)), [S, B, -1]), 2);
      return { fromTime, fromDenoising: tf.div(tf.mean(err, 0), t) };
    });
  } finally {
    z.dispose();
  }
}
