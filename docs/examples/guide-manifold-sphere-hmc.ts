// Constrained HMC on the unit sphere S² for the von Mises–Fisher energy E = −κ μᵀx, κ = 2.
// Run: pnpm exec tsx --tsconfig docs/examples/tsconfig.json docs/examples/guide-manifold-sphere-hmc.ts
import * as tf from '@tensorflow/tfjs-core';
import { constrainedHmc, disposeConstrainedState, sphere } from '@walkjump/manifold';
import { foldIn, key, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const S2 = sphere(3); // F(x) = (‖x‖² − 1)/2
const vmf = (x: tf.Tensor): tf.Tensor => tf.mul(-2, tf.reshape(tf.slice(x, [0, 2], [-1, 1]), [-1])); // E = −κ μᵀx
const kernel = constrainedHmc(S2.constraintFn, vmf, { stepSize: 0.3, numSteps: 6 });
const x0 = tf.tensor2d([
  [0, 0, 1],
  [1, 0, 0],
]); // 2 chains on M
let state = kernel.init(x0); // init copies x0
x0.dispose();
let meanZ = 0;
for (let i = 0; i < 1000; i++) {
  const [next, info] = kernel.step(foldIn(key(0), i), state); // info.accepted, info.constraintResidual
  disposeConstrainedState(state);
  state = next;
  if (i >= 200) meanZ += tf.tidy(() => tf.mean(tf.slice(state.position, [0, 2], [-1, 1])).dataSync()[0] ?? 0) / 800;
}
// E[μᵀx] → coth κ − 1/κ = 0.537 for κ = 2
console.log(`E[z] ≈ ${meanZ.toFixed(3)} (exact ${(1 / Math.tanh(2) - 1 / 2).toFixed(3)})`);
disposeConstrainedState(state);
