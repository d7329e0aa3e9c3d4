import type * as tf from '@tensorflow/tfjs-core';
import { jvp, vjp } from '@walkjump/tensor';

// tensor's vjp/jvp return f(x) as a kept tensor (no enclosing tidy frees it): drop it here.

/** J_f(x)ᵀu only; the caller owns the result. */
export function vjpOnly(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, u: tf.Tensor): tf.Tensor {
  const [fx, g] = vjp(f, x, u);
  fx.dispose();
  return g;
}

/** J_f(x)v only; the caller owns the result. */
export function jvpOnly(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const [fx, jv] = jvp(f, x, v);
  fx.dispose();
  return jv;
}
