import * as tf from '@tensorflow/tfjs-core';
import { key, split, type Key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { isotropicMixture, mmd2, slicedW1 } from '../__tests__/targets.ts';
import { sachsUnderdamped } from '../kernels/underdamped.ts';
import { type Kernel, type KernelState, ula } from '../kernels/overdamped.ts';
import { walkJump } from './walk-jump.ts';

// Walk-jump on Gaussian mixtures with the exact score of Y = X + σN(0, I) and the exact jump
// E[X | y]: the jumps must be close to the clean X distribution (sliced W1, MMD²) and closer than
// the walk. Tolerances: the thresholds sit well above the value for a second exact sample of X
// of the same size (computed in the test as the Monte Carlo floor).
const cases = [
  {
    name: '2-D, 8 modes on a circle, uniform + noise init, ULA',
    d: 2,
    means: Array.from({ length: 8 }, (_, k) => [
      3 * Math.cos((2 * Math.PI * k) / 8),
      3 * Math.sin((2 * Math.PI * k) / 8),
    ]),
    tau: 0.15,
    sigma: 0.6,
    init: (sigma: number) => ({ scheme: 'uniformPlusNoise', shape: [256, 2], low: -3, high: 3, sigma }) as const,
    kernel: (score: (y: tf.Tensor) => tf.Tensor, sigma: number) => ula({ score }, { stepSize: sigma / 2 }),
    steps: 300,
  },
  {
    name: '50-D, 4 modes, data + noise init, Sachs (Alg. 1)',
    d: 50,
    means: [0, 1, 2, 3].map((k) => Array.from({ length: 50 }, (_, j) => (((j * 7 + k * 13) % 5) - 2) * 0.8)),
    tau: 0.3,
    sigma: 0.5,
    init: null,
    kernel: (score: (y: tf.Tensor) => tf.Tensor, sigma: number) =>
      sachsUnderdamped({ score }, { stepSize: sigma / 2, friction: 2 }),
    steps: 100,
  },
];

describe('walk-jump on Gaussian mixtures with exact scores', () => {
  for (const c of cases) {
    it(`${c.name}: jumps are close to X (sliced W1, MMD²) and closer than the walk`, async () => {
      await expectNoLeak(() => {
        const { d, sigma } = c;
        const C = 256;
        const S = 4; // emissions per chain, 50 steps apart
        const n = C * S;
        const mix = isotropicMixture(c.means, Array(c.means.length).fill(1 / c.means.length), c.tau);
        const [kTruth, kFloor, kData, kWalk] = split(key(d), 4) as [Key, Key, Key, Key];
        const truth = mix.sample(kTruth, n);
        const floor = mix.sample(kFloor, n);
        const data = tf.tensor2d(Float32Array.from(mix.sample(kData, 1000)), [1000, d]);
        const score = (y: tf.Tensor) => mix.score(y, sigma);
        const { walk, jump, nonFinite } = walkJump({
          key: kWalk,
          kernel: c.kernel(score, sigma) as Kernel<KernelState>,
          jump: (y) => mix.denoiser(y, sigma),
          init: c.init === null ? { scheme: 'dataPlusNoise', data, chains: C, sigma } : c.init(sigma),
          burnIn: c.steps,
          steps: 50 * S,
          every: 50,
        });
        expect(nonFinite).toBe(0);
        const w = Float64Array.from(walk.dataSync());
        const j = Float64Array.from(jump.dataSync());
        tf.dispose([walk, jump, data]);
        const h = 2 * c.tau * Math.sqrt(d); // the within-mode scale, where walk and jump differ
        const sw = { walk: slicedW1(w, truth, d), jump: slicedW1(j, truth, d), floor: slicedW1(floor, truth, d) };
        const mmd = { walk: mmd2(w, truth, d, h), jump: mmd2(j, truth, d, h), floor: mmd2(floor, truth, d, h) };
        // jump closer than walk (for posterior-mean jumps the sliced-W1 ratio tends to τ/√(τ² + σ²))
        expect(sw.jump).toBeLessThan(0.85 * sw.walk);
        expect(mmd.jump).toBeLessThan(0.5 * mmd.walk);
        // and small in absolute terms: within a few Monte Carlo floors plus the jump's shrinkage
        // (E[X | y] contracts each mode by τ²/(τ² + σ²), a W1 bias of ≈ τ(1 − τ/√(τ² + σ²))·√(2/π))
        const shrink = c.tau * (1 - c.tau / Math.sqrt(c.tau ** 2 + sigma ** 2)) * Math.sqrt(2 / Math.PI);
        expect(sw.jump).toBeLessThan(3 * sw.floor + shrink);
        expect(mmd.jump).toBeLessThan(Math.max(0.05, 10 * Math.abs(mmd.floor) + 0.02));
      });
    });
  }
});
