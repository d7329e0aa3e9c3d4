import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, foldIn, type Key, split, ValueError } from '@walkjump/tensor';
import { resolveSpectral, type SpectralNormOption, spectralNormalize, withSpectralVectors } from '../core/spectral.ts';
import {
  ACTIVATIONS,
  type Activation,
  type ConvParams,
  checkActivation,
  conv,
  type DenseParams,
  dense,
  initConv,
  initDense,
} from '../core/layers.ts';
import {
  checkBatch,
  checkInitScheme,
  checkInputShape,
  type InitScheme,
  inputShapeError,
  type Network,
} from '../core/network.ts';

/** Parameters of a {@link convEnergy}: conv layers, a hidden dense layer, the scalar output. */
export type ConvEnergyParams = {
  readonly convs: readonly ConvParams[];
  readonly hidden: DenseParams;
  readonly out: DenseParams;
};

/** Options of {@link convEnergy}. */
export interface ConvEnergyOptions {
  /** Channels of the conv layers (default [32, 64, 64]). */
  readonly channels?: readonly number[];
  /** Stride of each conv layer (default 1 for the first, 2 for the others). */
  readonly strides?: readonly number[];
  /** Kernel size, odd (default 3); padding is (k−1)/2 on each side. */
  readonly kernel?: number;
  /** Width of the dense layer before the energy (default 128). */
  readonly hidden?: number;
  /** Nonlinearity (default 'swish', the DEEN choice). */
  readonly activation?: Activation;
  /** Weight initialization (default 'he'). */
  readonly init?: InitScheme;
  /** Start the output layer at zero (a flat initial energy). */
  readonly zeroLastLayer?: boolean;
  /**
   * Spectral normalization (Miyato et al. 2018) of every conv and dense weight, W/σ(W) with σ by
   * power iteration (as `mlp`'s option; the EBMs of Ross et al., 002 App. B).
   */
  readonly spectralNorm?: SpectralNormOption;
}

/**
 * The DEEN ConvNet energy (Saremi & Hyvärinen 2019, Sec. 7: "ConvNets … and the nonlinearity
 * swish", the choice that made DEEN's double backprop work well on MNIST): conv layers with swish
 * (stride 1 then 2 by default), a dense swish layer, and a linear scalar output. Input [B, H, W, C]
 * (NHWC; e.g. 28×28×1 MNIST or 32×32×3 CIFAR), output E(y) of shape [B]. Twice differentiable.
 */
export function convEnergy(opts: ConvEnergyOptions = {}): Network<ConvEnergyParams> {
  const fn = 'convEnergy';
  const channels = [...(opts.channels ?? [32, 64, 64])];
  if (channels.length === 0) throw new ValueError(`${fn}: 'channels' must list at least one conv layer`);
  channels.forEach((c, i) => {
    assertInteger(fn, `channels[${i}]`, c, 1);
  });
  const strides = [...(opts.strides ?? channels.map((_, i) => (i === 0 ? 1 : 2)))];
  if (strides.length !== channels.length) {
    throw new ValueError(
      `${fn}: 'strides' must have one entry per conv layer (${channels.length}), got ${strides.length}`,
    );
  }
  strides.forEach((s, i) => {
    assertInteger(fn, `strides[${i}]`, s, 1);
  });
  const kernel = opts.kernel ?? 3;
  assertInteger(fn, 'kernel', kernel, 1);
  if (kernel % 2 !== 1) throw new ValueError(`${fn}: 'kernel' must be odd, got ${kernel}`);
  const hidden = opts.hidden ?? 128;
  assertInteger(fn, 'hidden', hidden, 1);
  const activation = checkActivation(fn, opts.activation);
  const scheme = checkInitScheme(fn, opts.init);
  const phi = ACTIVATIONS[activation];
  const sn = resolveSpectral(fn, opts.spectralNorm);
  const name = `convEnergy[${channels.map((c, i) => (strides[i] === 1 ? `${c}` : `${c}/${strides[i]}`)).join(', ')}, ${hidden} → 1, ${activation}]`;
  const pad = (kernel - 1) / 2;
  const spatial = (H: number): number => strides.reduce((h, s) => Math.floor((h + 2 * pad - kernel) / s) + 1, H);

  const init = (k: Key, inputShape: readonly number[]): ConvEnergyParams => {
    const [H, W, C] = checkInputShape(name, inputShape, 3) as [number, number, number];
    const ks = split(k, channels.length + 2);
    const convs = channels.map((c, i) => initConv(ks[i]!, kernel, i === 0 ? C : channels[i - 1]!, c, scheme));
    const flat = spatial(H) * spatial(W) * channels[channels.length - 1]!;
    const p = {
      convs,
      hidden: initDense(ks[channels.length]!, flat, hidden, scheme),
      out: initDense(ks[channels.length + 1]!, hidden, 1, 'glorot', opts.zeroLastLayer === true),
    };
    return sn === undefined ? p : withSpectralVectors(foldIn(k, 7919), p);
  };

  const apply = (params: ConvEnergyParams, x: tf.Tensor): tf.Tensor => {
    const convs = params?.convs;
    if (!Array.isArray(convs) || convs.length !== channels.length || params.hidden === undefined) {
      throw new ValueError(
        `${name}.apply: 'params' must come from this network's init (${channels.length} conv layers)`,
      );
    }
    const C = convs[0]!.w.shape[2];
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[3] !== C) {
      throw inputShapeError(name, `[B, H, W, ${C}]`, x);
    }
    const flat = spatial(x.shape[1]!) * spatial(x.shape[2]!) * channels[channels.length - 1]!;
    if (flat !== params.hidden.w.shape[0]) {
      throw inputShapeError(
        name,
        `[B, H, W, ${C}] with the H×W given to init (${params.hidden.w.shape[0]} features after the conv stack)`,
        x,
      );
    }
    checkBatch(name, x, x.shape.slice(1));
    return tf.tidy(() => {
      const sp = sn === undefined ? params : spectralNormalize(params, sn);
      let h: tf.Tensor = x;
      sp.convs.forEach((c, i) => {
        h = phi(conv(c, h, strides[i]));
      });
      h = phi(dense(sp.hidden, tf.reshape(h, [x.shape[0]!, -1])));
      return tf.reshape(dense(sp.out, h), [-1]);
    });
  };

  return { name, init, apply };
}
