import * as tf from '@tensorflow/tfjs-core';
import { DataError, key, parseSafetensors, unflattenParams } from '@walkjump/tensor';
import { type ClassifierNetwork, type ClassifierOptions, type ClassifierParams, classifier } from './classifier.ts';

/**
 * The network definition of walkjump's bundled MNIST classifier (weights in
 * `@walkjump/nets/weights/mnist-classifier.safetensors`): two 5×5 swish conv stages (16, 32
 * channels) with 2×2 average pooling, a 64-wide feature layer, 10 logits. Inputs are MNIST digits
 * with intensities in [0, 1] (0 background), as [B, 28, 28, 1], [B, 28, 28] or [B, 784].
 */
export const mnistClassifier: ClassifierNetwork = classifier({
  classes: 10,
  channels: [16, 32],
  hidden: 64,
  kernel: 5,
  activation: 'swish',
});

/** A trained classifier with its parameters closed over. Owns `params`: call `dispose()` when done. */
export interface TrainedClassifier {
  readonly net: ClassifierNetwork;
  readonly params: ClassifierParams;
  /** The safetensors metadata stored with the weights (e.g. `testAccuracy`, `trainedSteps`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Logits [B, classes]. */
  logits(x: tf.Tensor): tf.Tensor2D;
  /** Class probabilities [B, classes]. */
  probabilities(x: tf.Tensor): tf.Tensor2D;
  /** Most likely class per sample, int32 [B]. */
  classify(x: tf.Tensor): tf.Tensor1D;
  /** Penultimate-layer features [B, featureDim], the feature function of FID-style metrics. */
  features(x: tf.Tensor): tf.Tensor2D;
  /** Frees the parameters. */
  dispose(): void;
}

/** Wraps a classifier network and its parameters as a {@link TrainedClassifier} (takes ownership of `params`). */
export function trainedClassifier(
  net: ClassifierNetwork,
  params: ClassifierParams,
  metadata: Record<string, string> = {},
): TrainedClassifier {
  let disposed = false;
  const live = <T>(what: string, f: () => T): T => {
    if (disposed) throw new DataError(`${net.name}.${what}: the classifier was disposed`);
    return f();
  };
  return {
    net,
    params,
    metadata,
    logits: (x) => live('logits', () => net.apply(params, x) as tf.Tensor2D),
    probabilities: (x) => live('probabilities', () => tf.tidy(() => tf.exp(net.logProbs(params, x)) as tf.Tensor2D)),
    classify: (x) => live('classify', () => net.classify(params, x)),
    features: (x) => live('features', () => net.features(params, x)),
    dispose: () => {
      if (!disposed) tf.dispose(params as unknown as tf.TensorContainer);
      disposed = true;
    },
  };
}

/**
 * Builds the classifier stored in safetensors `bytes` (as written by the training script
 * `apps/reproductions/src/mnist-classifier.ts`): the architecture is read from the `config`
 * metadata entry (defaults: {@link mnistClassifier}), the weights must match it. Works in the
 * browser (fetch the bytes from {@link mnistClassifierWeightsUrl}). The caller owns the result.
 */
export function mnistClassifierFromBytes(bytes: Uint8Array): TrainedClassifier {
  const parsed = parseSafetensors(bytes);
  const metadata = parsed.metadata;
  let net = mnistClassifier;
  try {
    if (metadata['config'] !== undefined) net = classifier(JSON.parse(metadata['config']) as ClassifierOptions);
    const shape = JSON.parse(metadata['inputShape'] ?? '[28, 28, 1]') as number[];
    const template = net.init(key(0), shape);
    let params: ClassifierParams;
    try {
      params = unflattenParams(template, parsed.tensors) as unknown as ClassifierParams;
    } finally {
      tf.dispose(template as unknown as tf.TensorContainer);
    }
    return trainedClassifier(net, params, metadata);
  } catch (e) {
    tf.dispose(Object.values(parsed.tensors));
    throw e;
  }
}

/**
 * Where the bundled weights live, resolved against this module (`new URL(…, import.meta.url)`,
 * which bundlers such as Vite turn into an asset URL). In Node it is a `file:` URL.
 */
export function mnistClassifierWeightsUrl(): URL {
  return new URL('../../weights/mnist-classifier.safetensors', import.meta.url);
}

/**
 * Loads the bundled MNIST classifier (Node: reads the file with a dynamic `node:fs/promises` import,
 * so the package still bundles for browsers; there use `fetch(mnistClassifierWeightsUrl())` and
 * {@link mnistClassifierFromBytes}). `path` overrides the bundled file. Test accuracy of the bundled
 * weights is in `metadata.testAccuracy`. The caller owns the result (`dispose()`).
 */
export async function loadMnistClassifier(path?: string): Promise<TrainedClassifier> {
  const fs = await import('node:fs/promises');
  const where = path ?? mnistClassifierWeightsUrl();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(where));
  } catch (e) {
    throw new DataError(`loadMnistClassifier: cannot read '${String(where)}' (${(e as Error).message})`, { cause: e });
  }
  return mnistClassifierFromBytes(bytes);
}
