// The Tweedie/Robbins estimator with a closed-form energy: the Gaussian KDE of a point set is the
// exact smoothed density of its empirical distribution, so x̂(y) = y − σ²∇E(y) is the exact posterior
// mean. Run: npx tsx docs/examples/kde-tweedie.ts
import * as tf from '@tensorflow/tfjs-core';
import { twoMoons } from '@walkjump/datasets';
import { gaussianKdeEnergy, tweedieFromEnergy } from '@walkjump/empirical-bayes';
import { type Key, key, normal, split, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const sigma = 0.2;
const [kData, kTest, kNoise] = split(key(1), 3) as [Key, Key, Key];
const moons = twoMoons();
const centres = tf.tidy(() => moons.sample(kData, 2000));
const kde = gaussianKdeEnergy(centres, sigma);

const err = tf.tidy(() => {
  const x = moons.sample(kTest, 500);
  const y = tf.add(x, tf.mul(normal(kNoise, x.shape), sigma));
  const viaEnergy = tweedieFromEnergy(kde.energy, sigma)(y); // autodiff through E
  const viaDenoiser = kde.denoiser(y); // closed form
  const mse = (a: tf.Tensor): number => tf.mean(tf.sum(tf.square(tf.sub(a, x)), 1)).dataSync()[0] ?? Number.NaN;
  return { noisy: mse(y), denoised: mse(viaDenoiser), agree: tf.max(tf.abs(tf.sub(viaEnergy, viaDenoiser))).dataSync()[0] };
});
console.log(`squared error: noisy ${err.noisy.toFixed(4)}, Tweedie ${err.denoised.toFixed(4)}; autodiff vs closed form: ${err.agree?.toExponential(1)}`);
kde.dispose();
centres.dispose();
