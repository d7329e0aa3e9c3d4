import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, foldIn, type Key, split, ValueError } from '@walkjump/tensor';
import { resolveSpectral, type SpectralNormOption, spectralNormalize, withSpectralVectors } from '../core/spectral.ts';
import {
  type Conditioning,
  conditioningVector,
  type EmbeddingParams,
  initEmbedding,
  type ResolvedConditioning,
  resolveConditioning,
} from '../core/embedding.ts';
import {
  ACTIVATIONS,
  type Activation,
  addChannels,
  avgPool2,
  type ConvParams,
  checkActivation,
  conv,
  convCat,
  type DenseParams,
  dense,
  initConv,
  initDense,
  upsample2,
} from '../core/layers.ts';
import {
  checkBatch,
  checkInitScheme,
  checkInputShape,
  condVector,
  type InitScheme,
  inputShapeError,
  type Network,
  showShape,
} from '../core/network.ts';

/** One U-Net block: two k×k convs with the conditioning projected and added after the first. */
export type UnetBlockParams = { readonly conv1: ConvParams; readonly conv2: ConvParams; readonly cond?: DenseParams };

/** Parameters of a {@link unet}. */
export type UnetParams = {
  readonly inConv: ConvParams;
  readonly down: readonly UnetBlockParams[];
  readonly up: readonly UnetBlockParams[];
  readonly outConv: ConvParams;
  readonly embedding?: EmbeddingParams;
};

/** Options of {@link unet}. */
export interface UnetOptions {
  /** Channels per resolution level, top to bottom (default [32, 64]); L levels need H, W divisible by 2^(L−1). */
  readonly channels?: readonly number[];
  /** Kernel size of the convs, odd (default 3). */
  readonly kernel?: number;
  /** Output channels (default: the input's, so the output has the input's shape). */
  readonly outChannels?: number;
  /**
   * Time/noise conditioning: `true` for the defaults, or the embedding options. `apply` then needs
   * `cond` (t or σ per sample), embedded and added to every block (see {@link Conditioning}).
   */
  readonly conditioning?: boolean | Conditioning;
  /** Nonlinearity (default 'swish'). */
  readonly activation?: Activation;
  /** Weight initialization (default 'he'). */
  readonly init?: InitScheme;
  /** Start the output conv at zero (the initial network is the constant 0). */
  readonly zeroLastLayer?: boolean;
  /**
   * Spectral normalization (Miyato et al. 2018) of every conv and dense weight, W/σ(W) with σ by
   * power iteration (as `mlp`'s option; the U-Net MDF of Ross et al., 002 App. B.2).
   */
  readonly spectralNorm?: SpectralNormOption;
}

/**
 * A small U-Net (Ronneberger et al. 2015) on NHWC images: an input conv, per level a block of two
 * convs (+ the projected time/noise embedding, DDPM style) and 2×2 average pooling, then nearest
 * upsampling with skip connections (channel concatenation) back up, and an output conv; the output
 * has the input's shape (or `outChannels`). Used as a score network s(y, t) (dual score matching,
 * 004), as MDAE denoiser (001 Sec. 3), and as a manifold-defining function F (002 App. B.2: "a
 * UNet because its skip connections give it full rank"). Twice differentiable in input and params.
 */
export function unet(opts: UnetOptions = {}): Network<UnetParams> {
  const fn = 'unet';
  const channels = [...(opts.channels ?? [32, 64])];
  if (channels.length === 0) throw new ValueError(`${fn}: 'channels' must list at least one level`);
  channels.forEach((c, i) => {
    assertInteger(fn, `channels[${i}]`, c, 1);
  });
  const kernel = opts.kernel ?? 3;
  assertInteger(fn, 'kernel', kernel, 1);
  if (kernel % 2 !== 1) throw new ValueError(`${fn}: 'kernel' must be odd, got ${kernel}`);
  if (opts.outChannels !== undefined) assertInteger(fn, 'outChannels', opts.outChannels, 1);
  const cond: ResolvedConditioning | undefined = resolveConditioning(fn, opts.conditioning);
  const activation = checkActivation(fn, opts.activation);
  const scheme = checkInitScheme(fn, opts.init);
  const phi = ACTIVATIONS[activation];
  const sn = resolveSpectral(fn, opts.spectralNorm);
  const L = channels.length;
  const down = 2 ** (L - 1);
  const name = `unet[${channels.join(', ')}${cond ? `, ${cond.embedding}(${cond.dim})` : ''}, ${activation}]`;

  const block = (k: Key, cIn: number, cOut: number): UnetBlockParams => {
    const [k1, k2, k3] = split(k, 3) as [Key, Key, Key];
    const b = { conv1: initConv(k1, kernel, cIn, cOut, scheme), conv2: initConv(k2, kernel, cOut, cOut, scheme) };
    return cond ? { ...b, cond: initDense(k3, 2 * cond.dim, cOut, scheme) } : b;
  };

  const init = (k: Key, inputShape: readonly number[]): UnetParams => {
    const [H, W, C] = checkInputShape(name, inputShape, 3) as [number, number, number];
    if (H % down !== 0 || W % down !== 0) {
      throw new ValueError(
        `${name}.init: H and W must be divisible by ${down} (${L} levels), got ${showShape(inputShape)}`,
      );
    }
    const ks = split(k, 2 * L + 3);
    const downBlocks = channels.map((c, i) => block(ks[i]!, i === 0 ? channels[0]! : channels[i - 1]!, c));
    const upBlocks: UnetBlockParams[] = [];
    for (let i = L - 2; i >= 0; i--) upBlocks.push(block(ks[L + i]!, channels[i + 1]! + channels[i]!, channels[i]!));
    const p = {
      inConv: initConv(ks[2 * L]!, kernel, C, channels[0]!, scheme),
      down: downBlocks,
      up: upBlocks,
      outConv: initConv(
        ks[2 * L + 1]!,
        kernel,
        channels[0]!,
        opts.outChannels ?? C,
        scheme,
        opts.zeroLastLayer === true,
      ),
    };
    const full = cond ? { ...p, embedding: initEmbedding(split(ks[2 * L + 2]!, 3), cond, scheme) } : p;
    return sn === undefined ? full : withSpectralVectors(foldIn(k, 7919), full);
  };

  const runBlock = (b: UnetBlockParams, h: tf.Tensor | tf.Tensor[], e: tf.Tensor | undefined): tf.Tensor => {
    let z = Array.isArray(h) ? convCat(b.conv1, h) : conv(b.conv1, h);
    if (e !== undefined && b.cond !== undefined) z = addChannels(z, dense(b.cond, e));
    return phi(conv(b.conv2, phi(z)));
  };

  const apply = (params: UnetParams, x: tf.Tensor, c?: tf.Tensor | number): tf.Tensor => {
    if (
      params?.inConv === undefined ||
      !Array.isArray(params.down) ||
      params.down.length !== L ||
      params.up.length !== L - 1
    ) {
      throw new ValueError(`${name}.apply: 'params' must come from this network's init (${L} levels)`);
    }
    if (cond !== undefined && params.embedding === undefined)
      throw new ValueError(`${name}.apply: 'params' lack the conditioning embedding`);
    const C = params.inConv.w.shape[2];
    if (
      !(x instanceof tf.Tensor) ||
      x.rank !== 4 ||
      x.shape[3] !== C ||
      x.shape[1]! % down !== 0 ||
      x.shape[2]! % down !== 0
    ) {
      throw inputShapeError(name, `[B, H, W, ${C}] with H, W divisible by ${down}`, x);
    }
    checkBatch(name, x, x.shape.slice(1));
    const B = x.shape[0]!;
    if (cond === undefined && c !== undefined)
      throw new ValueError(`${name}.apply: this network is unconditioned; got a 'cond'`);
    return tf.tidy(() => {
      const sp = sn === undefined ? params : spectralNormalize(params, sn);
      const e = cond !== undefined ? conditioningVector(cond, sp.embedding!, condVector(name, c, B)) : undefined;
      let h = conv(sp.inConv, x);
      const skips: tf.Tensor[] = [];
      for (let i = 0; i < L; i++) {
        h = runBlock(sp.down[i]!, h, e);
        if (i < L - 1) {
          skips.push(h);
          h = avgPool2(h);
        }
      }
      for (let j = 0; j < L - 1; j++) {
        const skip = skips[L - 2 - j]!;
        h = runBlock(sp.up[j]!, [upsample2(h), skip], e);
      }
      return conv(sp.outConv, h);
    });
  };

  return { name, init, apply };
}
