import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, type Key, logSumExp, split, ValueError } from '@walkjump/tensor';
import {
  ACTIVATIONS,
  type Activation,
  avgPool2,
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
  type Network,
  showShape,
} from '../core/network.ts';

/** Parameters of a {@link classifier}: conv stages, one hidden dense layer, the logit layer. */
export type ClassifierParams = {
  readonly convs: readonly ConvParams[];
  readonly hidden: DenseParams;
  readonly out: DenseParams;
};

/** Options of {@link classifier}. */
export interface ClassifierOptions {
  /** Number of classes (default 10). */
  readonly classes?: number;
  /** Channels of the conv stages; each is conv k×k → activation → 2×2 average pool (default [16, 32]). */
  readonly channels?: readonly number[];
  /** Width of the penultimate (feature) layer (default 64). */
  readonly hidden?: number;
  /** ConvParams kernel size, odd (default 5). */
  readonly kernel?: number;
  /** Nonlinearity (default 'swish'). */
  readonly activation?: Activation;
  /** Weight initialization (default 'he'). */
  readonly init?: InitScheme;
}

/** A classifier network: `apply` gives logits [B, classes]; `features` the penultimate layer. */
export interface ClassifierNetwork extends Network<ClassifierParams> {
  /** Number of classes. */
  readonly classes: number;
  /** Width of the feature layer. */
  readonly featureDim: number;
  /** The options it was built with (all defaults filled in), e.g. to store beside its weights. */
  readonly config: Required<Omit<ClassifierOptions, 'init'>>;
  /** The penultimate-layer activations [B, featureDim]: the feature map for FID-style metrics. */
  features(params: ClassifierParams, x: tf.Tensor): tf.Tensor2D;
  /** Log class probabilities [B, classes] (logits − logSumExp, second-order safe). */
  logProbs(params: ClassifierParams, x: tf.Tensor): tf.Tensor2D;
  /** The most likely class of each sample, int32 [B]. */
  classify(params: ClassifierParams, x: tf.Tensor): tf.Tensor1D;
}

/**
 * A small convolutional image classifier (LeNet-like): for each stage a k×k conv with a smooth
 * nonlinearity and 2×2 average pooling, then a dense feature layer and the logits. Walkjump uses it
 * (trained on MNIST, see {@link loadMnistClassifier}) as the feature map of FID-style metrics
 * (Saremi & Srivastava 2022, Sec. 5 report FID of single-chain samples) and to histogram the classes
 * visited by walk-jump chains (mode coverage, 000 Sec. 8–10). Images are NHWC [B, H, W, C] with H and
 * W divisible by 2^stages; apply also accepts [B, H·W·C] or [B, H, W] when C = 1.
 */
export function classifier(opts: ClassifierOptions = {}): ClassifierNetwork {
  const fn = 'classifier';
  const classes = opts.classes ?? 10;
  assertInteger(fn, 'classes', classes, 2);
  const channels = [...(opts.channels ?? [16, 32])];
  if (channels.length === 0) throw new ValueError(`${fn}: 'channels' must list at least one conv stage, got []`);
  channels.forEach((c, i) => {
    assertInteger(fn, `channels[${i}]`, c, 1);
  });
  const hidden = opts.hidden ?? 64;
  assertInteger(fn, 'hidden', hidden, 1);
  const kernel = opts.kernel ?? 5;
  assertInteger(fn, 'kernel', kernel, 1);
  if (kernel % 2 !== 1) throw new ValueError(`${fn}: 'kernel' must be odd, got ${kernel}`);
  const activation = checkActivation(fn, opts.activation);
  const scheme = checkInitScheme(fn, opts.init);
  const phi = ACTIVATIONS[activation];
  const name = `classifier[conv ${channels.join('-')}, k${kernel}, ${hidden} → ${classes}, ${activation}]`;
  const down = 2 ** channels.length;

  const imageShape = (s: readonly number[]): [number, number, number] => {
    const shape = checkInputShape(name, s);
    const img = (shape.length === 2 ? [...shape, 1] : shape) as [number, number, number];
    if (img.length !== 3 || img[0] % down !== 0 || img[1] % down !== 0) {
      throw new ValueError(
        `${name}.init: 'inputShape' must be [H, W, C] with H and W divisible by ${down}, got ${showShape(s)}`,
      );
    }
    return img;
  };

  const init = (k: Key, inputShape: readonly number[]): ClassifierParams => {
    const [H, W, C] = imageShape(inputShape);
    const ks = split(k, channels.length + 2);
    const convs = channels.map((c, i) => initConv(ks[i]!, kernel, i === 0 ? C : channels[i - 1]!, c, scheme));
    const flat = (H / down) * (W / down) * channels[channels.length - 1]!;
    return {
      convs,
      hidden: initDense(ks[channels.length]!, flat, hidden, scheme),
      out: initDense(ks[channels.length + 1]!, hidden, classes, 'glorot'),
    };
  };

  /** Validates and reshapes x to NHWC using the first conv's input channels and the dense layer's size. */
  const toImages = (params: ClassifierParams, x: tf.Tensor): tf.Tensor4D => {
    const C = params.convs[0]?.w.shape[2];
    const flat = params.hidden?.w.shape[0];
    if (C === undefined || flat === undefined || params.convs.length !== channels.length) {
      throw new ValueError(
        `${name}.apply: 'params' must come from this network's init (${channels.length} conv stages)`,
      );
    }
    const cLast = channels[channels.length - 1]!;
    // Square images: (H/down)² · cLast = flat.
    const side = Math.round(Math.sqrt(flat / cLast)) * down;
    const expected = [side, side, C];
    if (x instanceof tf.Tensor && x.dtype === 'float32' && x.rank >= 2 && x.shape[0]! >= 1) {
      const B = x.shape[0]!;
      if (x.rank === 2 && x.shape[1] === side * side * C) return tf.reshape(x, [B, side, side, C]) as tf.Tensor4D;
      if (x.rank === 3 && C === 1 && x.shape[1] === side && x.shape[2] === side)
        return tf.reshape(x, [B, side, side, 1]) as tf.Tensor4D;
    }
    return checkBatch(name, x, expected) as tf.Tensor4D;
  };

  const featuresOf = (params: ClassifierParams, x: tf.Tensor): tf.Tensor2D => {
    return tf.tidy(() => {
      const img = toImages(params, x);
      let h: tf.Tensor = img;
      for (const c of params.convs) h = avgPool2(phi(conv(c, h)));
      h = tf.reshape(h, [img.shape[0], -1]);
      return phi(dense(params.hidden, h)) as tf.Tensor2D;
    });
  };

  const apply = (params: ClassifierParams, x: tf.Tensor): tf.Tensor =>
    tf.tidy(() => dense(params.out, featuresOf(params, x)));

  return {
    name,
    classes,
    featureDim: hidden,
    config: { classes, channels, hidden, kernel, activation },
    init,
    apply,
    features: featuresOf,
    logProbs: (params, x) =>
      tf.tidy(() => {
        const z = apply(params, x);
        return tf.sub(z, logSumExp(z, -1, true)) as tf.Tensor2D;
      }),
    classify: (params, x) => tf.tidy(() => tf.argMax(apply(params, x), -1) as tf.Tensor1D),
  };
}
