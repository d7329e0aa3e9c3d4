// Train a DEEN energy on a 2-D ring of 8 Gaussians and sample it by walk-jump
// (Saremi & Hyvärinen 2019, eqs. 2, 3, 5, 6). Run: npx tsx docs/examples/deen-walk-jump.ts
import * as tf from '@tensorflow/tfjs-core';
import { ring8 } from '@walkjump/datasets';
import { deenLoss, tweedieFromEnergy } from '@walkjump/empirical-bayes';
import { ula, walkJump } from '@walkjump/langevin';
import { type MlpParams, mlp } from '@walkjump/nets';
import { adam, disposeOptState, disposeParams, fit, type Key, key, normal, type Params, split, useBackend } from '@walkjump/tensor';

await useBackend('auto');
const sigma = 0.3;
const data = ring8(); // radius 2, std 0.1
const net = mlp({ widths: [64, 64], activation: 'swish' });
const [kInit, kTrain, kChains, kWalk] = split(key(0), 4) as [Key, Key, Key, Key];

// --- learn E(y) for the noisy density of y = x + σε by minimizing ‖x − y + σ²∇E(y)‖² (eq. 3)
const init = net.init(kInit, [2]);
const trained = await fit({
  params: init as unknown as Params,
  loss: (p, x: tf.Tensor, k) => {
    const mp = p as unknown as MlpParams;
    const l = tf.mean(deenLoss(k, (y) => net.apply(mp, y), x, { sigma }));
    // E enters only through ∇E, so the output bias gets a zero gradient: make that explicit.
    const b = mp.layers[mp.layers.length - 1]?.b;
    return b === undefined ? l : tf.add(l, tf.mul(0, tf.sum(b)));
  },
  batches: (_step, k) => data.sample(k, 256),
  optimizer: adam({ learningRate: 2e-3 }),
  steps: 500,
  key: kTrain,
  logEvery: 100,
  onStep: (e) => console.log(`step ${e.step + 1}: DEEN loss ${e.loss.toFixed(4)}, ${e.stepsPerSecond.toFixed(0)} steps/s`),
});
disposeParams(init as unknown as Params);
disposeOptState(trained.optState);
const params = trained.params as unknown as MlpParams;
const energy = (y: tf.Tensor): tf.Tensor => net.apply(params, y);

// --- walk with Langevin on the noisy density (eq. 5), jump with x̂ = y − σ²∇E(y) (eq. 6)
const y0 = tf.tidy(() => normal(kChains, [500, 2], { std: 2 }));
const result = walkJump({
  key: kWalk,
  kernel: ula({ energy }, { stepSize: 0.2 * sigma * sigma, parameterization: 'saremi2019' }),
  jump: tweedieFromEnergy(energy, sigma),
  init: y0,
  steps: 200,
  every: 50,
});
// result.walk / result.jump stack the samples recorded every 50 steps: [4, 500, 2].
const jumps = result.jump.arraySync() as number[][][];
const last = jumps[jumps.length - 1] ?? [];
const radii = last.map(([a = 0, b = 0]) => Math.hypot(a, b));
console.log(`mean radius of the jump samples: ${(radii.reduce((s, r) => s + r, 0) / radii.length).toFixed(3)} (data: 2)`);
tf.dispose([y0, result.walk, result.jump]);
disposeParams(trained.params);
