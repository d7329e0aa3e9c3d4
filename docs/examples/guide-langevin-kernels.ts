// A kernel in the BlackJAX shape: init, then step with a fresh key; the caller disposes.
// Run: pnpm exec tsx --tsconfig docs/examples/tsconfig.json docs/examples/guide-langevin-kernels.ts
import * as tf from '@tensorflow/tfjs-core';
import { ula } from '@walkjump/langevin';
import { foldIn, key, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const score = (y: tf.Tensor): tf.Tensor => tf.neg(y); // standard normal target
const y0 = tf.zeros([64, 2]); // 64 chains in R²
// #region kernel
const kernel = ula({ score }, { stepSize: 0.3 });
let state = kernel.init(y0); // validates and copies y0 [C, ...]: C chains
for (let i = 0; i < 100; i++) {
  const [next, info] = kernel.step(foldIn(key(0), i), state); // info.nonFinite [C], info.acceptance [C] (MALA)
  tf.dispose([state.position, state.score, info.nonFinite]); // stepping disposes nothing: you do
  state = next;
}
// #endregion kernel
const variance = tf.tidy(() => tf.mean(tf.square(state.position)).dataSync()[0]);
console.log(`E[y²] ≈ ${variance?.toFixed(3)} (ULA bias: 1/(1 − δ²/4) = ${(1 / (1 - 0.3 ** 2 / 4)).toFixed(3)})`);
tf.dispose([y0, state.position, state.score]);
