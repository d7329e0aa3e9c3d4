// Binary-flip noise and the Bayes denoiser sign E[x | y] on an exactly enumerable Ising model
// (Bach & Saremi 2025). Run: npx tsx docs/examples/binary-flips.ts
import * as tf from '@tensorflow/tfjs-core';
import { binaryDenoiser, exactDistribution, flipNoise, gibbs, isingLattice, noisyScore } from '@walkjump/discrete';
import { foldIn, type Key, key, split, uniform, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const alpha = 0.75; // each spin flips with probability σ(−2α) ≈ 0.18
const model = isingLattice({ L: 3, J: 0.4 }); // 9 spins: 512 states, exact answers
const dist = exactDistribution(model.logProb, model.d);
const denoise = binaryDenoiser(noisyScore(dist, alpha), alpha);

// Draw clean samples by Gibbs sampling, flip them, denoise them.
const [kInit, kGibbs, kNoise] = split(key(3), 3) as [Key, Key, Key];
const kernel = gibbs(model);
let state = kernel.init(tf.tidy(() => tf.sign(tf.sub(uniform(kInit, [2000, model.d]), 0.5))));
for (let t = 0; t < 50; t++) {
  const [next, info] = kernel.step(foldIn(kGibbs, t), state);
  tf.dispose([state.position, state.logProb, info.acceptance, info.flips].filter((v) => !Object.values(next).includes(v)));
  state = next;
}
const [noisyErr, denoisedErr] = tf.tidy(() => {
  const x = state.position;
  const y = flipNoise(kNoise, x, alpha);
  const err = (a: tf.Tensor): number => tf.mean(tf.notEqual(a, x)).dataSync()[0] ?? Number.NaN;
  return [err(y), err(denoise(y))];
});
console.log(`spin error: noisy ${noisyErr?.toFixed(3)}, denoised ${denoisedErr?.toFixed(3)}`);
tf.dispose(Object.values(state));
