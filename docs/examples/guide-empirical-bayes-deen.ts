// Noise level from the χ statistics, a DEEN energy network, and the exact empirical Bayes
// denoiser of the training set. Run:
// pnpm exec tsx --tsconfig docs/examples/tsconfig.json docs/examples/guide-empirical-bayes-deen.ts
import * as tf from '@tensorflow/tfjs-core';
import { chiStatistics, deenLoss, gaussianKdeEnergy, tweedieFromEnergy } from '@walkjump/empirical-bayes';
import { type MlpParams, mlp } from '@walkjump/nets';
import {
  adam,
  disposeParams,
  fit,
  type Key,
  key,
  normal,
  permutation,
  split,
  uniform,
  useBackend,
} from '@walkjump/tensor';

await useBackend('auto');
const sigma = 0.3;
const [kData, kInit, kFit, kTest] = split(key(0), 4) as [Key, Key, Key, Key];
const x = uniform(kData, [2000, 784]); // your data, [N, d]
const stats = await chiStatistics(x); // { min, median, mean, max, sigmaC }
console.log(`chi: max ${stats.max.toFixed(3)} (sigma_c)`);

const net = mlp({ widths: [256, 256], activation: 'swish', zeroLastLayer: true });
const { params } = await fit({
  params: net.init(kInit, [784]),
  key: kFit,
  steps: 500,
  optimizer: adam({ learningRate: 1e-3 }),
  batches: (_step, k) => tf.gather(x, permutation(k, 2000).subarray(0, 64)),
  loss: (p, xb, k) => tf.mean(deenLoss(k, (y) => net.apply(p as MlpParams, y), xb, { sigma })),
});
const jump = tweedieFromEnergy((y) => net.apply(params as MlpParams, y), sigma); // learned denoiser
const kde = gaussianKdeEnergy(x, sigma); // empirical Bayes on the training set itself
const exact = kde.denoiser;

const gap = tf.tidy(() => {
  const y = tf.add(tf.slice(x, [0, 0], [16, -1]), tf.mul(normal(kTest, [16, 784]), sigma));
  return tf.mean(tf.square(tf.sub(jump(y), exact(y)))).dataSync()[0];
});
console.log(`mean squared gap learned vs exact denoiser: ${gap?.toExponential(2)}`);
kde.dispose();
x.dispose();
disposeParams(params);
