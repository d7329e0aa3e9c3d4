// Building blocks shared by the networks (internal: not exported from the package).
// Layouts are tfjs's: images NHWC, dense weights [in, out], conv filters [kh, kw, in, out].
import * as tf from '@tensorflow/tfjs-core';
import { type Key, normal, ValueError } from '@walkjump/tensor';
import type { InitScheme } from './network.ts';

/** Nonlinearities; every one is smooth (C^∞), so energies are twice differentiable. */
export type Activation = 'swish' | 'softplus' | 'tanh' | 'elu' | 'gelu';

export const ACTIVATIONS: Record<Activation, (x: tf.Tensor) => tf.Tensor> = {
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  softplus: (x) => tf.softplus(x),
  tanh: (x) => tf.tanh(x),
  // Second order relies on @walkjump/tensor's replacement of the Elu gradient (stock EluGrad has none).
  elu: (x) => tf.elu(x),
  // The tanh approximation of GELU (Hendrycks & Gimpel 2016; PyTorch's approximate='tanh').
  gelu: (x) =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
    ),
};

export function checkActivation(fn: string, a: unknown): Activation {
  const v = a ?? 'swish';
  if (typeof v !== 'string' || !(v in ACTIVATIONS)) {
    throw new ValueError(`${fn}: 'activation' must be one of ${Object.keys(ACTIVATIONS).join(', ')}, got ${String(v)}`);
  }
  return v as Activation;
}

/**
 * A weight tensor drawn from N(0, std²): He (std = √(2/fanIn), He et al. 2015) or Glorot
 * (std = √(2/(fanIn+fanOut)), Glorot & Bengio 2010), times `gain`; `zero` gives zeros.
 */
export function initWeight(
  k: Key,
  shape: number[],
  fanIn: number,
  fanOut: number,
  scheme: InitScheme,
  zero = false,
  gain = 1,
): tf.Tensor {
  if (zero) return tf.zeros(shape);
  const std = gain * (scheme === 'he' ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut)));
  return normal(k, shape, { std });
}

/** A dense layer's parameters. */
export type DenseParams = {
  readonly w: tf.Tensor2D;
  readonly b: tf.Tensor1D;
  /** With spectral normalization: the power-iteration start vector [fanOut] (a buffer; gets no gradient). */
  readonly u?: tf.Tensor1D;
};
/** A conv layer's parameters (NHWC convolution): `w` [kh, kw, in, out], `b` [out]. */
export type ConvParams = {
  readonly w: tf.Tensor4D;
  readonly b: tf.Tensor1D;
  /** With spectral normalization: the power-iteration start vector [out] (a buffer; gets no gradient). */
  readonly u?: tf.Tensor1D;
};

export function initDense(k: Key, nIn: number, nOut: number, scheme: InitScheme, zero = false, gain = 1): DenseParams {
  return {
    w: initWeight(k, [nIn, nOut], nIn, nOut, scheme, zero, gain) as tf.Tensor2D,
    b: tf.zeros([nOut]) as tf.Tensor1D,
  };
}

export function initConv(
  k: Key,
  ks: number,
  cIn: number,
  cOut: number,
  scheme: InitScheme,
  zero = false,
  gain = 1,
): ConvParams {
  return {
    w: initWeight(k, [ks, ks, cIn, cOut], ks * ks * cIn, ks * ks * cOut, scheme, zero, gain) as tf.Tensor4D,
    b: tf.zeros([cOut]) as tf.Tensor1D,
  };
}

export const dense = (p: DenseParams, h: tf.Tensor): tf.Tensor => tf.add(tf.matMul(h as tf.Tensor2D, p.w), p.b);

/**
 * conv2d with symmetric zero padding (k−1)/2 (PyTorch's `padding=k//2` for odd k) and a stride;
 * unlike tfjs's 'same' with stride 2, the padding does not depend on the input size.
 */
export function conv(p: ConvParams, h: tf.Tensor, stride = 1, bias = true): tf.Tensor {
  const k = p.w.shape[0];
  const pad = (k - 1) >> 1;
  const y = tf.conv2d(h as tf.Tensor4D, p.w, stride, pad);
  return bias ? tf.add(y, p.b) : y;
}

/** 2×2 average pooling by reshape + mean (H, W even), rank ≤ 5 ops: twice differentiable with plain ops. */
export function avgPool2(h: tf.Tensor): tf.Tensor {
  const [B, H, W, C] = h.shape as [number, number, number, number];
  const rows = tf.mean(tf.reshape(h, [B, H / 2, 2, W, C]), 2);
  return tf.mean(tf.reshape(rows, [B, H / 2, W / 2, 2, C]), 3);
}

/**
 * Nearest-neighbour ×2 upsampling by reshape and broadcasting multiplication with ones (rank ≤ 5):
 * its gradient is a plain sum, so it is fast and twice differentiable (tfjs's resizeNearestNeighbor
 * has no second derivative, rank-6 tile no gradient, and concat's gradient, SplitV, is very slow
 * on wasm).
 */
export function upsample2(h: tf.Tensor): tf.Tensor {
  const [B, H, W, C] = h.shape as [number, number, number, number];
  const rows = tf.reshape(tf.mul(tf.reshape(h, [B, H, 1, W, C]), tf.ones([1, 1, 2, 1, 1])), [B, 2 * H, W, 1, C]);
  return tf.reshape(tf.mul(rows, tf.ones([1, 1, 1, 2, 1])), [B, 2 * H, 2 * W, C]);
}

/**
 * conv(concat(xs, channels), p) computed as Σᵢ conv(xᵢ, p.w[:, :, slice i, :]) + b, without
 * materializing the concatenation (its gradient, SplitV, is very slow on wasm). Same parameters
 * and result as the concatenated form (skip connections, fused side outputs).
 */
export function convCat(p: ConvParams, xs: readonly tf.Tensor[]): tf.Tensor {
  const k = p.w.shape[0];
  const pad = (k - 1) >> 1;
  let off = 0;
  let y: tf.Tensor | undefined;
  for (const x of xs) {
    const c = x.shape[3]!;
    const w = off === 0 && c === p.w.shape[2] ? p.w : (tf.slice(p.w, [0, 0, off, 0], [-1, -1, c, -1]) as tf.Tensor4D);
    const z = tf.conv2d(x as tf.Tensor4D, w, 1, pad);
    y = y === undefined ? z : tf.add(y, z);
    off += c;
  }
  return tf.add(y!, p.b);
}

/** dense(concat(xs, features), p) as Σᵢ xᵢ p.w[slice i] + b (see {@link convCat}). */
export function denseCat(p: DenseParams, xs: readonly tf.Tensor[]): tf.Tensor {
  let off = 0;
  let y: tf.Tensor | undefined;
  for (const x of xs) {
    const c = x.shape[1]!;
    const z = tf.matMul(x as tf.Tensor2D, tf.slice(p.w, [off, 0], [c, -1]) as tf.Tensor2D);
    y = y === undefined ? z : tf.add(y, z);
    off += c;
  }
  return tf.add(y!, p.b);
}

/** 2×2 average pooling that pads odd sizes with zeros at the bottom/right first (ceil mode, count_include_pad). */
export function avgPool2Ceil(h: tf.Tensor): tf.Tensor {
  const [, H, W] = h.shape as [number, number, number, number];
  const ph = H % 2;
  const pw = W % 2;
  const hp =
    ph === 0 && pw === 0
      ? h
      : tf.pad(h, [
          [0, 0],
          [0, ph],
          [0, pw],
          [0, 0],
        ]);
  return avgPool2(hp);
}

/** Nearest ×2 upsampling cropped to `[H, W]` (undoes {@link avgPool2Ceil}'s sizes). */
export function upsampleTo(h: tf.Tensor, H: number, W: number): tf.Tensor {
  const u = upsample2(h);
  return u.shape[1] === H && u.shape[2] === W ? u : tf.slice(u, [0, 0, 0, 0], [-1, H, W, -1]);
}

/** Spatial sizes after `n` ceil-mode halvings. */
export function halvings(H: number, n: number): number[] {
  const out = [H];
  for (let i = 0; i < n; i++) out.push(Math.ceil(out[out.length - 1]! / 2));
  return out;
}

/** Adds a per-sample channel vector v [B, C] to feature maps h [B, H, W, C]. */
export const addChannels = (h: tf.Tensor, v: tf.Tensor): tf.Tensor =>
  tf.add(h, tf.reshape(v, [v.shape[0]!, 1, 1, v.shape[1]!]));
