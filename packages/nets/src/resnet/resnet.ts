import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, type Key, split, ValueError } from '@walkjump/tensor';
import {
  ACTIVATIONS,
  type Activation,
  avgPool2Ceil,
  type ConvParams,
  checkActivation,
  conv,
  type DenseParams,
  dense,
  halvings,
  initConv,
  initDense,
  upsampleTo,
} from '../core/layers.ts';
import {
  checkBatch,
  checkInitScheme,
  checkInputShape,
  type InitScheme,
  inputShapeError,
  type Network,
  showShape,
} from '../core/network.ts';

/** A stage of bottleneck blocks: `depth` blocks of width `width` (001 Table 3's "Block N × D"). */
export interface ResnetStage {
  readonly width: number;
  readonly depth: number;
}

/** One bottleneck block: widths [N → N/4 → N/4 → N/4 → N], kernels [1, k, k, 1], plus the skip. */
export type BottleneckParams = {
  readonly c1: ConvParams;
  readonly c2: ConvParams;
  readonly c3: ConvParams;
  readonly c4: ConvParams;
};

/** A stage: an optional 1×1 projection when the width changes, then its blocks. */
export type ResnetStageParams = { readonly proj?: ConvParams; readonly blocks: readonly BottleneckParams[] };

/** Parameters of a {@link resnetEncoder}. */
export type ResnetEncoderParams = {
  readonly inConv: ConvParams;
  readonly stages: readonly ResnetStageParams[];
  readonly head: DenseParams;
};

/** Parameters of a {@link resnetDecoder}. */
export type ResnetDecoderParams = {
  readonly head: DenseParams;
  readonly stages: readonly ResnetStageParams[];
  readonly outConv: ConvParams;
};

/** Options shared by {@link resnetEncoder} and {@link resnetDecoder}. */
export interface ResnetOptions {
  /**
   * Stages top (full resolution) to bottom, each followed (encoder) or preceded (decoder) by a
   * 2×2 resolution change. Default `[{32, 1}, {64, 1}, {128, 1}]`; 001's MNIST MUVB encoder
   * (Table 3) is `[{128, 2}, {256, 2}, {512, 2}, {1024, 2}, {1024, 2}]`.
   */
  readonly stages?: readonly ResnetStage[];
  /** Latent dimension (the encoder's output, the decoder's input). */
  readonly latent: number;
  /** Nonlinearity (default 'swish'). */
  readonly activation?: Activation;
  /** Weight initialization (default 'he'). */
  readonly init?: InitScheme;
}

/** Options of {@link resnetEncoder}. */
export interface ResnetEncoderOptions extends ResnetOptions {
  /** VAE head: output [B, 2, latent] holding the mean (index 0) and log-variance (index 1). */
  readonly vae?: boolean;
}

/** Options of {@link resnetDecoder}. */
export interface ResnetDecoderOptions extends ResnetOptions {
  /** Shape of one decoded image [H, W, C]. */
  readonly outputShape: readonly number[];
  /** Start the output conv at zero. */
  readonly zeroLastLayer?: boolean;
}

function checkStages(fn: string, st: readonly ResnetStage[] | undefined): ResnetStage[] {
  const stages = [
    ...(st ?? [
      { width: 32, depth: 1 },
      { width: 64, depth: 1 },
      { width: 128, depth: 1 },
    ]),
  ];
  if (stages.length === 0) throw new ValueError(`${fn}: 'stages' must list at least one stage`);
  stages.forEach((s, i) => {
    assertInteger(fn, `stages[${i}].width`, s.width, 4);
    assertInteger(fn, `stages[${i}].depth`, s.depth, 1);
  });
  return stages;
}

function bottleneck(k: Key, N: number, kernel: number, scheme: InitScheme): BottleneckParams {
  const q = Math.max(1, Math.floor(N / 4));
  const [k1, k2, k3, k4] = split(k, 4) as [Key, Key, Key, Key];
  return {
    c1: initConv(k1, 1, N, q, scheme),
    c2: initConv(k2, kernel, q, q, scheme),
    c3: initConv(k3, kernel, q, q, scheme),
    // The residual branch's last conv starts small, so a deep stack starts near the identity.
    c4: initConv(k4, 1, q, N, scheme, false, 0.1),
  };
}

function stage(k: Key, cIn: number, s: ResnetStage, size: number, scheme: InitScheme): ResnetStageParams {
  const ks = split(k, s.depth + 1);
  // 001 Table 3: kernel sizes are all 1 once the resolution is below 3.
  const kernel = size < 3 ? 1 : 3;
  const blocks = Array.from({ length: s.depth }, (_, i) => bottleneck(ks[i]!, s.width, kernel, scheme));
  return cIn === s.width ? { blocks } : { proj: initConv(ks[s.depth]!, 1, cIn, s.width, scheme), blocks };
}

function runStage(p: ResnetStageParams, h: tf.Tensor, phi: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  let z = p.proj !== undefined ? conv(p.proj, h) : h;
  for (const b of p.blocks) {
    const r = conv(b.c4, phi(conv(b.c3, phi(conv(b.c2, phi(conv(b.c1, phi(z))))))));
    z = tf.add(z, r);
  }
  return z;
}

/**
 * A ResNet encoder of bottleneck residual blocks with average pooling between stages (He et al. 2016;
 * 001 App. E, Table 3: MUVB's encoder and metaencoder). Input [B, H, W, C]; output [B, latent], or
 * with `vae: true` [B, 2, latent] = (mean, log-variance) of a diagonal Gaussian (see {@link vaeSplit}).
 * Pre-activation blocks, no normalization layers, swish by default; pooling is ceil mode (7 → 4).
 */
export function resnetEncoder(opts: ResnetEncoderOptions): Network<ResnetEncoderParams> {
  const fn = 'resnetEncoder';
  const stages = checkStages(fn, opts?.stages);
  assertInteger(fn, 'latent', opts.latent, 1);
  const activation = checkActivation(fn, opts.activation);
  const scheme = checkInitScheme(fn, opts.init);
  const phi = ACTIVATIONS[activation];
  const vae = opts.vae === true;
  const S = stages.length;
  const name = `resnetEncoder[${stages.map((s) => `${s.width}×${s.depth}`).join(', ')} → ${vae ? `2×${opts.latent}` : opts.latent}, ${activation}]`;

  const init = (k: Key, inputShape: readonly number[]): ResnetEncoderParams => {
    const [H, W, C] = checkInputShape(name, inputShape, 3) as [number, number, number];
    const hs = halvings(H, S - 1);
    const ws = halvings(W, S - 1);
    const ks = split(k, S + 2);
    const st = stages.map((s, i) =>
      stage(ks[i]!, i === 0 ? s.width : stages[i - 1]!.width, s, Math.min(hs[i]!, ws[i]!), scheme),
    );
    const flat = hs[S - 1]! * ws[S - 1]! * stages[S - 1]!.width;
    return {
      inConv: initConv(ks[S]!, 3, C, stages[0]!.width, scheme),
      stages: st,
      head: initDense(ks[S + 1]!, flat, (vae ? 2 : 1) * opts.latent, 'glorot'),
    };
  };

  const apply = (params: ResnetEncoderParams, x: tf.Tensor): tf.Tensor => {
    if (params?.inConv === undefined || !Array.isArray(params.stages) || params.stages.length !== S) {
      throw new ValueError(`${name}.apply: 'params' must come from this network's init (${S} stages)`);
    }
    const C = params.inConv.w.shape[2];
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[3] !== C)
      throw inputShapeError(name, `[B, H, W, ${C}]`, x);
    const flat = halvings(x.shape[1]!, S - 1)[S - 1]! * halvings(x.shape[2]!, S - 1)[S - 1]! * stages[S - 1]!.width;
    if (flat !== params.head.w.shape[0]) throw inputShapeError(name, `[B, H, W, ${C}] with the H×W given to init`, x);
    checkBatch(name, x, x.shape.slice(1));
    const B = x.shape[0]!;
    return tf.tidy(() => {
      let h = conv(params.inConv, x);
      for (let i = 0; i < S; i++) h = runStage(params.stages[i]!, i === 0 ? h : avgPool2Ceil(h), phi);
      const z = dense(params.head, tf.reshape(phi(h), [B, -1]));
      return vae ? tf.reshape(z, [B, 2, opts.latent]) : z;
    });
  };

  return { name, init, apply };
}

/**
 * A ResNet decoder: the encoder in reverse with nearest-neighbour upsampling in place of pooling
 * (001 App. E: "the decoder used the encoder architecture in reverse, with the pooling layers
 * substituted with nearest neighbour upsampling"). Input [B, latent]; output [B, ...outputShape].
 */
export function resnetDecoder(opts: ResnetDecoderOptions): Network<ResnetDecoderParams> {
  const fn = 'resnetDecoder';
  const stages = checkStages(fn, opts?.stages);
  assertInteger(fn, 'latent', opts.latent, 1);
  if (!Array.isArray(opts.outputShape) || opts.outputShape.length !== 3) {
    throw new ValueError(
      `${fn}: 'outputShape' must be [H, W, C], got ${Array.isArray(opts.outputShape) ? showShape(opts.outputShape) : String(opts.outputShape)}`,
    );
  }
  const [H, W, C] = opts.outputShape as [number, number, number];
  [H, W, C].forEach((v, i) => {
    assertInteger(fn, `outputShape[${i}]`, v, 1);
  });
  const activation = checkActivation(fn, opts.activation);
  const scheme = checkInitScheme(fn, opts.init);
  const phi = ACTIVATIONS[activation];
  const S = stages.length;
  const hs = halvings(H, S - 1);
  const ws = halvings(W, S - 1);
  const name = `resnetDecoder[${opts.latent} → ${[...stages]
    .reverse()
    .map((s) => `${s.width}×${s.depth}`)
    .join(', ')} → ${showShape(opts.outputShape)}, ${activation}]`;

  const init = (k: Key, inputShape: readonly number[]): ResnetDecoderParams => {
    const shape = checkInputShape(name, inputShape, 1);
    if (shape[0] !== opts.latent)
      throw new ValueError(`${name}.init: 'inputShape' must be [${opts.latent}], got ${showShape(shape)}`);
    const ks = split(k, S + 2);
    // Decoder stages bottom → top; stage i (bottom = S−1) projects from the stage below it.
    const st: ResnetStageParams[] = [];
    for (let i = S - 1; i >= 0; i--) {
      const cIn = i === S - 1 ? stages[i]!.width : stages[i + 1]!.width;
      st.push(stage(ks[i]!, cIn, stages[i]!, Math.min(hs[i]!, ws[i]!), scheme));
    }
    return {
      head: initDense(ks[S]!, opts.latent, hs[S - 1]! * ws[S - 1]! * stages[S - 1]!.width, scheme),
      stages: st,
      outConv: initConv(ks[S + 1]!, 3, stages[0]!.width, C, scheme, opts.zeroLastLayer === true),
    };
  };

  const apply = (params: ResnetDecoderParams, z: tf.Tensor): tf.Tensor => {
    if (params?.head === undefined || !Array.isArray(params.stages) || params.stages.length !== S) {
      throw new ValueError(`${name}.apply: 'params' must come from this network's init (${S} stages)`);
    }
    checkBatch(name, z, [opts.latent], 'z');
    const B = z.shape[0]!;
    return tf.tidy(() => {
      let h = tf.reshape(dense(params.head, z), [B, hs[S - 1]!, ws[S - 1]!, stages[S - 1]!.width]);
      for (let j = 0; j < S; j++) {
        const level = S - 1 - j;
        if (j > 0) h = upsampleTo(h, hs[level]!, ws[level]!);
        h = runStage(params.stages[j]!, h, phi);
      }
      return conv(params.outConv, phi(h));
    });
  };

  return { name, init, apply };
}

/** Splits a VAE head's output [B, 2, latent] into mean and log-variance, each [B, latent]. */
export function vaeSplit(out: tf.Tensor): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
  if (out.rank !== 3 || out.shape[1] !== 2) throw inputShapeError('vaeSplit', '[B, 2, latent]', out, 'out');
  const [B, , d] = out.shape as [number, number, number];
  return tf.tidy(() => {
    const [m, v] = tf.split(out, 2, 1) as [tf.Tensor, tf.Tensor];
    return { mean: tf.reshape(m, [B, d]) as tf.Tensor2D, logVar: tf.reshape(v, [B, d]) as tf.Tensor2D };
  });
}
