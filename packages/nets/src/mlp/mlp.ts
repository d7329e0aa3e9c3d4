import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, foldIn, type Key, normal, ShapeError, split, ValueError } from '@walkjump/tensor';
import { ACTIVATIONS, type Activation, type DenseParams, dense, initDense } from '../core/layers.ts';
import {
  type Conditioning,
  conditioningVector,
  type EmbeddingParams,
  initEmbedding,
  resolveConditioning,
} from '../core/embedding.ts';
import { condVector, type Network, type Params, showShape } from '../core/network.ts';
import { spectralNormEstimate } from '../core/spectral.ts';

/**
 * Parameters of an {@link mlp}: its dense layers, input to output; with conditioning also one
 * projection of the embedding per hidden layer (`cond`) and the embedding MLP.
 */
export type MlpParams = {
  readonly layers: readonly DenseParams[];
  readonly cond?: readonly DenseParams[];
  readonly embedding?: EmbeddingParams;
};

/** Options of {@link mlp}. */
export interface MlpOptions {
  /** Widths of the hidden layers, e.g. `[64, 64]`. May be empty (an affine map). */
  readonly widths: readonly number[];
  /** Output features per sample; 1 (the default) gives an energy network with output [B]. */
  readonly outDim?: number;
  /** Hidden nonlinearity; default `'swish'` (x·sigmoid(x), as in Saremi & Hyvärinen 2019). */
  readonly activation?: Activation;
  /** Weight initialization: `'he'` (default, N(0, 2/fanIn)) or `'glorot'` (N(0, 2/(fanIn+fanOut))). */
  readonly init?: 'he' | 'glorot';
  /** Start the last layer at zero, so the initial network is the constant 0 (a flat energy). */
  readonly zeroLastLayer?: boolean;
  /**
   * Spectral normalization (Miyato et al. 2018) of every weight, W/σ(W), with σ(W) estimated by
   * `iterations` power iterations (default 10) started from the stored vector `u` of each layer and
   * treated as a constant in the gradient, as in PyTorch's `spectral_norm`. Used by the EBIM energy
   * and the manifold-defining function of Ross et al. (002, App. B). `true` takes the defaults.
   */
  readonly spectralNorm?: boolean | { readonly iterations?: number };
  /**
   * Time/noise conditioning (as `unet`'s): `apply(params, x, t)` embeds t (or σ) and adds a learned
   * projection of the embedding to every hidden layer's pre-activation — a score network s(y, t)
   * or energy U(y, t) for low-dimensional data (dual score matching, 004).
   */
  readonly conditioning?: boolean | Conditioning;
}

/**
 * A multilayer perceptron `x ↦ W_L φ(… φ(W_1 x + b_1) …) + b_L` with a smooth nonlinearity φ, the
 * energy network of Saremi & Hyvärinen (2019, Sec. 7; swish by default). Inputs [B, ...inputShape]
 * are flattened to [B, D]; the output is [B] (an `EnergyFn` once `params` are closed over) when
 * `outDim` is 1, else [B, outDim]. Twice differentiable in inputs and parameters, so DEEN's double
 * backprop (eq. 3) works through it. Throws `ValueError` on bad options; `apply` throws `ShapeError`
 * naming the network and the expected and received shapes.
 */
export function mlp(opts: MlpOptions): Network<MlpParams> {
  const fn = 'mlp';
  if (opts === null || typeof opts !== 'object' || !Array.isArray(opts.widths)) {
    throw new ValueError(`${fn}: 'widths' must be an array of positive integers (hidden widths)`);
  }
  opts.widths.forEach((w, i) => {
    assertInteger(fn, `widths[${i}]`, w, 1);
  });
  const outDim = opts.outDim ?? 1;
  assertInteger(fn, 'outDim', outDim, 1);
  const activation = opts.activation ?? 'swish';
  const phi = ACTIVATIONS[activation];
  if (phi === undefined) {
    throw new ValueError(
      `${fn}: 'activation' must be one of ${Object.keys(ACTIVATIONS).join(', ')}, got ${String(activation)}`,
    );
  }
  const initKind = opts.init ?? 'he';
  if (initKind !== 'he' && initKind !== 'glorot') {
    throw new ValueError(`${fn}: 'init' must be 'he' or 'glorot', got ${String(initKind)}`);
  }
  const sn =
    opts.spectralNorm === undefined || opts.spectralNorm === false
      ? undefined
      : opts.spectralNorm === true
        ? {}
        : opts.spectralNorm;
  const snIterations = sn?.iterations ?? 10;
  if (sn !== undefined) assertInteger(fn, 'spectralNorm.iterations', snIterations, 1);
  const widths = [...opts.widths];
  const cond = resolveConditioning(fn, opts.conditioning);
  const name = `mlp[${[...widths.map(String), `→ ${outDim}`].join(', ')}${cond ? `, ${cond.embedding}(${cond.dim})` : ''}, ${activation}]`;
  const nLayers = widths.length + 1;

  const init = (k: Key, inputShape: readonly number[]): MlpParams => {
    if (!Array.isArray(inputShape) || inputShape.length === 0) {
      throw new ShapeError(
        `${name}.init: 'inputShape' must be a non-empty per-sample shape such as [2], got ${String(inputShape)}`,
      );
    }
    inputShape.forEach((s, i) => {
      assertInteger(`${name}.init`, `inputShape[${i}]`, s, 1);
    });
    const D = inputShape.reduce((a, b) => a * b, 1);
    const sizes = [D, ...widths, outDim];
    const keys = split(k, nLayers);
    const layers: DenseParams[] = [];
    for (let l = 0; l < nLayers; l++) {
      const fanIn = sizes[l]!;
      const fanOut = sizes[l + 1]!;
      const last = l === nLayers - 1;
      const std = initKind === 'he' ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
      const w = (
        last && opts.zeroLastLayer === true ? tf.zeros([fanIn, fanOut]) : normal(keys[l]!, [fanIn, fanOut], { std })
      ) as tf.Tensor2D;
      const b = tf.zeros([fanOut]) as tf.Tensor1D;
      if (sn === undefined) layers.push({ w, b });
      else {
        const u = tf.tidy(() => {
          const z = normal(split(keys[l]!, 2)[1]!, [fanOut]);
          return tf.div(z, tf.sqrt(tf.sum(tf.square(z)))) as tf.Tensor1D;
        });
        layers.push({ w, b, u });
      }
    }
    if (cond === undefined) return { layers };
    const kc = split(foldIn(k, 104729), widths.length + 1);
    return {
      layers,
      cond: widths.map((wd, i) => initDense(kc[i]!, 2 * cond.dim, wd, initKind)),
      embedding: initEmbedding(split(kc[widths.length]!, 3), cond, initKind),
    };
  };

  const apply = (params: MlpParams, x: tf.Tensor, c?: tf.Tensor | number): tf.Tensor => {
    const layers = params?.layers;
    if (!Array.isArray(layers) || layers.length !== nLayers) {
      throw new ShapeError(
        `${name}.apply: 'params' must hold ${nLayers} layers, got ${Array.isArray(layers) ? layers.length : 'none'}`,
      );
    }
    const first = layers[0]!;
    const D = first.w.shape[0];
    if (x.rank < 2 || x.size !== (x.shape[0] ?? 0) * D) {
      throw new ShapeError(
        `${name}.apply: input 'x' must have shape [B, ${D}] (or [B, ...] with ${D} features per sample), got ${showShape(x.shape)}`,
      );
    }
    if (x.dtype !== 'float32') throw new ShapeError(`${name}.apply: input 'x' must be float32, got ${x.dtype}`);
    const B = x.shape[0]!;
    if (cond === undefined && c !== undefined)
      throw new ValueError(`${name}.apply: this network is unconditioned; got a 'cond'`);
    if (cond !== undefined && (params.embedding === undefined || params.cond?.length !== widths.length)) {
      throw new ValueError(
        `${name}.apply: 'params' lack the conditioning embedding (params from init with conditioning)`,
      );
    }
    return tf.tidy(() => {
      const e = cond !== undefined ? conditioningVector(cond, params.embedding!, condVector(name, c, B)) : undefined;
      let h: tf.Tensor = x.rank === 2 ? x : tf.reshape(x, [B, D]);
      for (let l = 0; l < nLayers; l++) {
        const { w: w0, b, u } = layers[l]!;
        if (w0.rank !== 2 || w0.shape[0] !== h.shape[1] || b.rank !== 1 || b.shape[0] !== w0.shape[1]) {
          throw new ShapeError(
            `${name}.apply: layer ${l} must have w [${h.shape[1]}, n] and b [n], got w ${showShape(w0.shape)} and b ${showShape(b.shape)}`,
          );
        }
        let w: tf.Tensor2D = w0;
        if (sn !== undefined) {
          if (u === undefined || u.rank !== 1 || u.shape[0] !== w0.shape[1]) {
            throw new ShapeError(
              `${name}.apply: layer ${l} needs the spectral-norm vector u [${w0.shape[1]}] (params from init with spectralNorm)`,
            );
          }
          w = tf.div(w0, spectralNormEstimate(w0, u, snIterations)) as tf.Tensor2D;
        }
        h = tf.add(tf.matMul(h as tf.Tensor2D, w), b);
        if (e !== undefined && l < nLayers - 1) h = tf.add(h, dense(params.cond![l]!, e));
        if (l < nLayers - 1) h = phi(h);
      }
      if (h.shape[1] !== outDim) {
        throw new ShapeError(`${name}.apply: the last layer must have ${outDim} outputs, got ${h.shape[1]}`);
      }
      return outDim === 1 ? tf.reshape(h, [B]) : h;
    });
  };

  return { name, init, apply };
}

/** Number of scalar parameters in a parameter tree (sum of the leaves' sizes). */
export function paramCount(params: Params): number {
  let n = 0;
  const visit = (p: tf.Tensor | Params): void => {
    if (p instanceof tf.Tensor) n += p.size;
    else if (Array.isArray(p)) for (const q of p) visit(q);
    else for (const q of Object.values(p)) visit(q as tf.Tensor | Params);
  };
  visit(params);
  return n;
}

/** Disposes every tensor of a parameter tree (the caller's to call when it owns `params`). */
export function disposeParams(params: Params): void {
  const visit = (p: tf.Tensor | Params): void => {
    if (p instanceof tf.Tensor) p.dispose();
    else if (Array.isArray(p)) for (const q of p) visit(q);
    else for (const q of Object.values(p)) visit(q as tf.Tensor | Params);
  };
  visit(params);
}
