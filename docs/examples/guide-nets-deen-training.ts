// Training a convolutional energy network with the DEEN objective written out by hand.
// Run: pnpm exec tsx --tsconfig docs/examples/tsconfig.json docs/examples/guide-nets-deen-training.ts
import * as tf from '@tensorflow/tfjs-core';
import { type ConvEnergyParams, convEnergy } from '@walkjump/nets';
import { adam, disposeParams, fit, inputGrad, key, normal, type Params, uniform, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const sigma = 0.3;
const net = convEnergy({ channels: [16, 32, 32], hidden: 64 });
const data = uniform(key(2), [256, 28, 28, 1]); // your images in [0, 1]
const result = await fit({
  params: net.init(key(0), [28, 28, 1]),
  optimizer: adam({ learningRate: 1e-3 }),
  steps: 100,
  key: key(1),
  batches: () => data,
  // DEEN (Saremi & Hyvärinen 2019, eq. 3): mean ‖x − y + σ² ∇_y E(y)‖²
  loss: (p: Params, x: tf.Tensor, k) => {
    const y = tf.add(x, tf.mul(normal(k, x.shape), sigma));
    const g = inputGrad((u) => net.apply(p as ConvEnergyParams, u))(y);
    const r = tf.reshape(tf.add(tf.sub(x, y), tf.mul(g, sigma ** 2)), [x.shape[0] ?? -1, -1]);
    return tf.mean(tf.sum(tf.square(r), 1));
  },
});
console.log(`final loss ${result.history.at(-1)?.loss.toFixed(4)}`);
data.dispose();
disposeParams(result.params);
