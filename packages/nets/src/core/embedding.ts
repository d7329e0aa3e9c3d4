import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, assertPositive, type Key, normal, ValueError } from '@walkjump/tensor';
import { type DenseParams, dense, denseCat, initDense } from './layers.ts';
import type { InitScheme } from './network.ts';

/**
 * Time/noise conditioning of a network: an embedding of the per-sample scalar t (or σ) followed by a
 * two-layer swish MLP, whose output is projected to each block's channels and added to its features
 * (DDPM, Ho et al. 2020, App. B; score SDE, Song et al. 2021).
 */
export interface Conditioning {
  /**
   * `'sinusoidal'`: [sin(c·ω_k), cos(c·ω_k)] with ω_k = 10000^(−k/(dim/2)) (Vaswani et al. 2017, as
   * in DDPM); `'fourier'`: Gaussian random Fourier features [sin(2π c w_k), cos(2π c w_k)],
   * w_k ~ N(0, scale²) drawn at init and stored in the parameters (Tancik et al. 2020; Song et al. 2021).
   */
  readonly embedding?: 'sinusoidal' | 'fourier';
  /** Embedding width (even; default 32). */
  readonly dim?: number;
  /** Std of the Fourier frequencies (default 16, as in Song et al. 2021). */
  readonly scale?: number;
  /**
   * Applied to the conditioning scalar c before embedding: `'identity'` (default, for t ∈ [0, 1] or
   * a diffusion time) or `'log'` (c ↦ ¼ ln c, for σ or t spanning decades; Karras et al. 2022).
   */
  readonly transform?: 'identity' | 'log';
}

/** Parameters of the conditioning MLP (and the Fourier frequencies). */
export type EmbeddingParams = { readonly freq?: tf.Tensor1D; readonly l1: DenseParams; readonly l2: DenseParams };

export interface ResolvedConditioning {
  readonly embedding: 'sinusoidal' | 'fourier';
  readonly dim: number;
  readonly scale: number;
  readonly transform: 'identity' | 'log';
}

export function resolveConditioning(
  fn: string,
  c: Conditioning | boolean | undefined,
): ResolvedConditioning | undefined {
  if (c === undefined || c === false) return undefined;
  const o: Conditioning = c === true ? {} : c;
  const embedding = o.embedding ?? 'sinusoidal';
  if (embedding !== 'sinusoidal' && embedding !== 'fourier') {
    throw new ValueError(`${fn}: 'conditioning.embedding' must be 'sinusoidal' or 'fourier', got ${String(embedding)}`);
  }
  const dim = o.dim ?? 32;
  assertInteger(fn, 'conditioning.dim', dim, 2);
  if (dim % 2 !== 0) throw new ValueError(`${fn}: 'conditioning.dim' must be even, got ${dim}`);
  const scale = o.scale ?? 16;
  assertPositive(fn, 'conditioning.scale', scale);
  const transform = o.transform ?? 'identity';
  if (transform !== 'identity' && transform !== 'log') {
    throw new ValueError(`${fn}: 'conditioning.transform' must be 'identity' or 'log', got ${String(transform)}`);
  }
  return { embedding, dim, scale, transform };
}

export function initEmbedding(ks: readonly Key[], c: ResolvedConditioning, scheme: InitScheme): EmbeddingParams {
  const l1 = initDense(ks[0]!, c.dim, 2 * c.dim, scheme);
  const l2 = initDense(ks[1]!, 2 * c.dim, 2 * c.dim, scheme);
  return c.embedding === 'fourier'
    ? { freq: normal(ks[2]!, [c.dim / 2], { std: c.scale }) as tf.Tensor1D, l1, l2 }
    : { l1, l2 };
}

/** The raw embedding [sin, cos] (two [B, dim/2] halves) of a conditioning vector `t` [B]. */
export function embed(c: ResolvedConditioning, p: EmbeddingParams, t: tf.Tensor1D): [tf.Tensor2D, tf.Tensor2D] {
  const half = c.dim / 2;
  const v = c.transform === 'log' ? tf.mul(tf.log(t), 0.25) : t;
  let arg: tf.Tensor;
  if (c.embedding === 'fourier') {
    if (p.freq === undefined) throw new ValueError(`embedding: Fourier conditioning needs 'freq' in the parameters`);
    arg = tf.mul(tf.reshape(v, [-1, 1]), tf.mul(tf.reshape(p.freq, [1, half]), 2 * Math.PI));
  } else {
    const w = new Float32Array(half);
    for (let k = 0; k < half; k++) w[k] = Math.exp((-Math.log(10000) * k) / half);
    arg = tf.mul(tf.reshape(v, [-1, 1]), tf.tensor2d(w, [1, half]));
  }
  return [tf.sin(arg) as tf.Tensor2D, tf.cos(arg) as tf.Tensor2D];
}

/** Embedding → dense → swish → dense → swish: the conditioning vector [B, 2·dim] fed to each block. */
export function conditioningVector(c: ResolvedConditioning, p: EmbeddingParams, t: tf.Tensor1D): tf.Tensor2D {
  const sw = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));
  return sw(dense(p.l2, sw(denseCat(p.l1, embed(c, p, t))))) as tf.Tensor2D;
}
