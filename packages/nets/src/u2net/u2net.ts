import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, assertPositive, type Key, split, ValueError } from '@walkjump/tensor';
import {
  ACTIVATIONS,
  type Activation,
  avgPool2Ceil,
  type ConvParams,
  checkActivation,
  conv,
  convCat,
  halvings,
  initConv,
  upsampleTo,
} from '../core/layers.ts';
import {
  checkBatch,
  checkInitScheme,
  checkInputShape,
  condVector,
  type InitScheme,
  inputShapeError,
  type Network,
} from '../core/network.ts';

/** One stage of a {@link u2net}: an RSU block of this height, mid and out channels (001 App. E, Table 1). */
export interface U2Stage {
  /** RSU height ≥ 2: the block's own encoder depth (Table 1's "Height"). */
  readonly height: number;
  /** Channels inside the RSU block. */
  readonly mid: number;
  /** Channels out of the block. */
  readonly out: number;
}

/** Parameters of one RSU block: input conv, encoder convs (the last one is the bottom), decoder convs. */
export type RsuParams = {
  readonly inConv: ConvParams;
  readonly enc: readonly ConvParams[];
  readonly dec: readonly ConvParams[];
};

/** Parameters of a {@link u2net}. */
export type U2netParams = {
  readonly encoders: readonly RsuParams[];
  readonly decoders: readonly RsuParams[];
  readonly sides: readonly ConvParams[];
  readonly fuse: ConvParams;
};

/** Options of {@link u2net}. */
export interface U2netOptions {
  /**
   * Encoder stages, top to bottom (decoders mirror them, Table 1); default a reduced MNIST-sized
   * net `[{5, 16, 32}, {4, 16, 32}, {3, 32, 64}]` (001's Table 1 has 5 stages of 64–512 channels).
   */
  readonly stages?: readonly U2Stage[];
  /** Output channels (default: the input's). */
  readonly outChannels?: number;
  /**
   * Noise level σ of the inputs: they are divided by √(0.225² + σ²) (001 App. E). When absent, the
   * per-sample `cond` of `apply` is taken as σ; with neither, inputs are not scaled.
   */
  readonly sigma?: number;
  /** Nonlinearity (default 'swish', as in 001). */
  readonly activation?: Activation;
  /** Weight initialization (default 'he'). */
  readonly init?: InitScheme;
  /** Start the fuse conv at zero (the initial network is the constant 0). */
  readonly zeroLastLayer?: boolean;
}

/**
 * A reduced U²-Net (Qin et al. 2020) as modified in Saremi & Srivastava 2022 (001 App. E): nested
 * U-structure of residual U-blocks (RSU: a small U-Net inside each stage, plus a residual
 * connection), "all normalization layers removed", swish, and inputs divided by √(0.225² + σ²).
 * Stage heights and widths are configurable (Table 1). Side outputs of every decoder stage are
 * upsampled and fused by a 1×1 conv; the output has the input's shape (or `outChannels`): the MDAE
 * denoiser ν(y) of 001 eq. 18 (with {@link multimeasurement} for σ⊗M models). Pooling is 2×2 average
 * pooling in ceil mode, upsampling is nearest; the RSU bottom conv is not dilated (tfjs has no
 * gradient for dilated convs), which is the one deviation from Qin et al.
 */
export function u2net(opts: U2netOptions = {}): Network<U2netParams> {
  const fn = 'u2net';
  const stages = [
    ...(opts.stages ?? [
      { height: 5, mid: 16, out: 32 },
      { height: 4, mid: 16, out: 32 },
      { height: 3, mid: 32, out: 64 },
    ]),
  ];
  if (stages.length === 0) throw new ValueError(`${fn}: 'stages' must list at least one stage`);
  stages.forEach((s, i) => {
    assertInteger(fn, `stages[${i}].height`, s.height, 2);
    assertInteger(fn, `stages[${i}].mid`, s.mid, 1);
    assertInteger(fn, `stages[${i}].out`, s.out, 1);
  });
  if (opts.outChannels !== undefined) assertInteger(fn, 'outChannels', opts.outChannels, 1);
  if (opts.sigma !== undefined) assertPositive(fn, 'sigma', opts.sigma);
  const activation = checkActivation(fn, opts.activation);
  const scheme = checkInitScheme(fn, opts.init);
  const phi = ACTIVATIONS[activation];
  const S = stages.length;
  const name = `u2net[${stages.map((s) => `RSU${s.height}(${s.mid}→${s.out})`).join(', ')}, ${activation}]`;

  const rsu = (k: Key, cIn: number, s: U2Stage): RsuParams => {
    const ks = split(k, 2 * s.height);
    const enc = Array.from({ length: s.height }, (_, i) => initConv(ks[i]!, 3, i === 0 ? s.out : s.mid, s.mid, scheme));
    const dec = Array.from({ length: s.height - 1 }, (_, i) =>
      initConv(ks[s.height + i]!, 3, 2 * s.mid, i === 0 ? s.out : s.mid, scheme),
    );
    return { inConv: initConv(ks[2 * s.height - 1]!, 3, cIn, s.out, scheme), enc, dec };
  };

  const runRsu = (p: RsuParams, x: tf.Tensor | tf.Tensor[]): tf.Tensor => {
    const h = p.enc.length;
    const hxin = phi(Array.isArray(x) ? convCat(p.inConv, x) : conv(p.inConv, x));
    const enc: tf.Tensor[] = [];
    let z = hxin;
    for (let i = 0; i < h - 1; i++) {
      z = phi(conv(p.enc[i]!, i === 0 ? z : avgPool2Ceil(z)));
      enc.push(z);
    }
    const bottom = phi(conv(p.enc[h - 1]!, z));
    let d = phi(convCat(p.dec[h - 2]!, [bottom, enc[h - 2]!]));
    for (let i = h - 3; i >= 0; i--) {
      const e = enc[i]!;
      d = phi(convCat(p.dec[i]!, [upsampleTo(d, e.shape[1]!, e.shape[2]!), e]));
    }
    return tf.add(d, hxin);
  };

  const init = (k: Key, inputShape: readonly number[]): U2netParams => {
    const [, , C] = checkInputShape(name, inputShape, 3) as [number, number, number];
    const outC = opts.outChannels ?? C;
    const ks = split(k, 3 * S + 1);
    const encoders = stages.map((s, i) => rsu(ks[i]!, i === 0 ? C : stages[i - 1]!.out, s));
    const decoders: RsuParams[] = [];
    for (let i = S - 2; i >= 0; i--) decoders.push(rsu(ks[S + i]!, stages[i + 1]!.out + stages[i]!.out, stages[i]!));
    const sides = stages.map((s, i) => initConv(ks[2 * S + i]!, 3, s.out, outC, scheme));
    return {
      encoders,
      decoders,
      sides,
      fuse: initConv(ks[3 * S]!, 1, S * outC, outC, scheme, opts.zeroLastLayer === true),
    };
  };

  const apply = (params: U2netParams, x: tf.Tensor, cond?: tf.Tensor | number): tf.Tensor => {
    if (!Array.isArray(params?.encoders) || params.encoders.length !== S || params.decoders.length !== S - 1) {
      throw new ValueError(`${name}.apply: 'params' must come from this network's init (${S} stages)`);
    }
    const C = params.encoders[0]!.inConv.w.shape[2];
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[3] !== C)
      throw inputShapeError(name, `[B, H, W, ${C}]`, x);
    checkBatch(name, x, x.shape.slice(1));
    const [B, H, W] = x.shape as [number, number, number, number];
    return tf.tidy(() => {
      let h: tf.Tensor = x;
      if (opts.sigma !== undefined) h = tf.mul(x, 1 / Math.sqrt(0.225 ** 2 + opts.sigma ** 2));
      else if (cond !== undefined) {
        const s = condVector(name, cond, B);
        h = tf.mul(x, tf.reshape(tf.rsqrt(tf.add(tf.square(s), 0.225 ** 2)), [B, 1, 1, 1]));
      }
      const enc: tf.Tensor[] = [];
      for (let i = 0; i < S; i++) {
        h = runRsu(params.encoders[i]!, i === 0 ? h : avgPool2Ceil(h));
        enc.push(h);
      }
      const outs: tf.Tensor[] = [h];
      for (let j = 0; j < S - 1; j++) {
        const e = enc[S - 2 - j]!;
        h = runRsu(params.decoders[j]!, [upsampleTo(h, e.shape[1]!, e.shape[2]!), e]);
        outs.push(h);
      }
      // outs: bottom encoder, then decoders S-1 … 1; sides are indexed top (0) to bottom (S-1).
      const hs = halvings(H, S - 1);
      const ws = halvings(W, S - 1);
      const sides = outs.map((o, j) => {
        const level = S - 1 - j;
        let sd = conv(params.sides[level]!, o);
        for (let m = level - 1; m >= 0; m--) sd = upsampleTo(sd, hs[m]!, ws[m]!);
        return sd;
      });
      return convCat(params.fuse, sides.reverse());
    });
  };

  return { name, init, apply };
}
