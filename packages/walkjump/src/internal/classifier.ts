import type * as tf from '@tensorflow/tfjs-core';
import { loadMnistClassifier } from '@walkjump/nets';

/**
 * The bundled MNIST classifier of `@walkjump/nets` (`loadMnistClassifier`, a small swish ConvNet)
 * as logits [B, 10] for images [B, 784] in [0, 1]. The caller disposes it.
 */
export async function mnistClassifierFn(): Promise<{
  fn: (x: tf.Tensor) => tf.Tensor;
  dispose: () => void;
  testAccuracy?: string;
}> {
  const c = await loadMnistClassifier();
  const acc = c.metadata.testAccuracy;
  return { fn: (x) => c.logits(x), dispose: () => c.dispose(), ...(acc !== undefined && { testAccuracy: acc }) };
}
