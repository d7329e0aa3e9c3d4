// Constrained HMC on the unit sphere S² targeting a von Mises–Fisher density e^{κ μᵀx}
// (Ross et al. 2023, Sec. 4; RATTLE with a reversibility check). Run: npx tsx docs/examples/sphere-hmc.ts
import * as tf from '@tensorflow/tfjs-core';
import { constrainedHmc, disposeConstrainedState, sphere } from '@walkjump/manifold';
import { foldIn, key, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const kappa = 5;
const mu = tf.tensor1d([0, 0, 1]);
const energy = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(-kappa, tf.sum(tf.mul(x, mu), 1)));
const s2 = sphere(3);
const kernel = constrainedHmc(s2.constraintFn, energy, { stepSize: 0.2, numSteps: 5 });

const chains = 64;
const x0 = tf.tile(tf.tensor2d([[1, 0, 0]]), [chains, 1]);
let state = kernel.init(x0);
x0.dispose();
const k = key(2);
let acceptance = 0;
let meanZ = 0;
const steps = 300;
for (let t = 0; t < steps; t++) {
  const [next, info] = kernel.step(foldIn(k, t), state);
  if (next.position !== state.position) disposeConstrainedState(state);
  state = next;
  acceptance += info.acceptanceRate / steps;
  if (t >= 100) meanZ += tf.tidy(() => tf.mean(tf.slice(state.position, [0, 2], [-1, 1])).dataSync()[0] ?? 0) / (steps - 100);
}
// For the vMF on S², E[μᵀx] = coth κ − 1/κ.
console.log(`acceptance ${acceptance.toFixed(3)}; E[z] ≈ ${meanZ.toFixed(3)} (exact ${(1 / Math.tanh(kappa) - 1 / kappa).toFixed(3)})`);
disposeConstrainedState(state);
mu.dispose();
