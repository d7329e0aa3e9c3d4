import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors/errors.ts';

/**
 * Numerically stable log Σ exp(x) along `axis` (default: the last axis): m + log Σ exp(x − m) with
 * m = max x, so no overflow for large x and no −∞ − (−∞) = NaN when a whole slice is −∞ (that slice
 * returns −∞). Differentiable to any order (the gradient is softmax). Output has `x`'s shape with
 * `axis` removed (or kept as size 1 with `keepDims`). The caller owns the returned tensor.
 */
export function logSumExp(x: tf.Tensor, axis = -1, keepDims = false): tf.Tensor {
  const ax = axis < 0 ? x.rank + axis : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= x.rank) {
    throw new ShapeError(`logSumExp: 'axis' must index a dimension of a rank-${x.rank} tensor, got ${axis}`);
  }
  return tf.tidy(() => {
    const m = tf.max(x, ax, true);
    const safeM = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, safeM)), ax, true)), safeM);
    return keepDims ? lse : tf.squeeze(lse, [ax]);
  });
}

/**
 * Stable softplus log(1 + eˣ), elementwise. Delegates to the backend's `Softplus` kernel, which on
 * cpu, wasm and tfjs-node follows TensorFlow's `tf.nn.softplus` (x for large x, eˣ below
 * log ε + 2, float64 `log(1 + eˣ)` in between), and is tested here for the tails where a naive
 * `log1p(exp(x))` fails (the wasm backend's `Log1p` is `log(1 + u)`, which returns 0 for u < 2⁻²⁴).
 * Its gradient σ(x) saves only the input, so it composes to second order. The caller owns the
 * returned tensor.
 */
export function softplus(x: tf.Tensor): tf.Tensor {
  return tf.softplus(x);
}

/** Stable log σ(x) = −softplus(−x). Elementwise; the caller owns the returned tensor. */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(softplus(tf.neg(x))));
}

/**
 * Swish / SiLU x·σ(βx) (Ramachandran, Zoph & Le 2017; Elfwing et al. 2018), β = 1 by default — the
 * activation of the ConvNet energies. Elementwise; σ is tfjs's stable sigmoid, whose higher-order
 * gradient tensor re-registers. The caller owns the returned tensor.
 */
export function swish(x: tf.Tensor, beta = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(beta === 1 ? x : tf.mul(x, beta))));
}
