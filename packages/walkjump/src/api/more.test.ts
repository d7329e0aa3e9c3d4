// Conv energies, manifolds and binary sampling through the quick-start layer.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  datasets,
  discrete,
  fitEnergy,
  fitManifold,
  sampleBinary,
  sampleManifold,
  tensor,
  walkJump,
} from '../index.ts';

/** 64 tiny 8×8 "images": a bright square at a random place. */
function squares(): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(64 * 64);
  const u = tensor.uniform(tensor.key(3), [64, 2]);
  const v = u.dataSync();
  u.dispose();
  for (let i = 0; i < 64; i++) {
    const r = Math.floor((v[2 * i] as number) * 5);
    const c = Math.floor((v[2 * i + 1] as number) * 5);
    for (let y = r; y < r + 3; y++) for (let x = c; x < c + 3; x++) data[i * 64 + y * 8 + x] = 1;
  }
  return { data, shape: [64, 8, 8] };
}

describe('conv energies on images', () => {
  it.each([
    ['deen', 1],
    ['multimeasurement', 2],
  ] as const)(
    '%s (M = %i): trains, walks in R^{M·d}, jumps to images',
    async (method, M) => {
      const before = tf.memory().numTensors;
      const data = squares();
      const { model, history } = await fitEnergy({
        data,
        method,
        M,
        net: { kind: 'conv', channels: [4, 8], hidden: 16 },
        steps: 8,
        batchSize: 16,
      });
      expect(model.config.image).toEqual({ height: 8, width: 8 });
      expect(model.config.net).toEqual({ kind: 'conv', channels: [4, 8], hidden: 16, activation: 'swish' });
      expect(history.every((h) => Number.isFinite(h.loss))).toBe(true);
      const s = walkJump({ model, chains: 6, steps: 4, every: 2, init: 'data', data });
      expect(s.jump.shape).toEqual([6, 8, 8]);
      expect(s.walk.data.length).toBe(6 * M * 64);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
    30_000,
  );

  it('refuses conv for non-images and for mdae', async () => {
    await expect(
      fitEnergy({
        data: [
          [0, 1],
          [1, 0],
        ],
        net: 'conv',
      }),
    ).rejects.toThrow(/conv net needs image data/);
    await expect(fitEnergy({ data: squares(), net: 'conv', method: 'mdae' })).rejects.toThrow(
      /deen or multimeasurement, not mdae/,
    );
  });
});

describe('manifolds', () => {
  it('fitManifold + sampleManifold stay on the sphere and leak nothing', async () => {
    const before = tf.memory().numTensors;
    const vmf = datasets.vonMisesFisher({ mean: [0, 0, 1], concentration: 10 });
    const x = tf.tidy(() => vmf.sample(tensor.key(1), 500));
    const { model } = await fitManifold({ data: x, manifold: 'sphere', steps: 60, batchSize: 128, learningRate: 3e-3 });
    x.dispose();
    expect(model.config.manifold).toEqual({ name: 'sphere', dim: 3 });
    const r = sampleManifold({ model, chains: 64, steps: 20, every: 5 });
    expect(r.samples.shape).toEqual([64, 3]);
    expect(r.maxConstraint).toBeLessThan(1e-3);
    expect(r.trace.steps).toEqual([5, 10, 15, 20]);
    expect(r.acceptance).toHaveLength(20);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);

  it("method 'cebm': a constrained EBM on the torus, sampled by constrained HMC; no walk-jump", async () => {
    const before = tf.memory().numTensors;
    const angles = tf.tidy(() => tf.mul(tensor.uniform(tensor.key(2), [200, 2]), 2 * Math.PI));
    const x = tf.tidy(() => datasets.torusEmbed3(angles));
    angles.dispose();
    const losses: number[] = [];
    const { model, step } = await fitManifold({
      data: x,
      manifold: 'torus',
      method: 'cebm',
      steps: 4,
      batchSize: 32,
      onStep: (e) => {
        losses.push(e.loss);
      },
    });
    x.dispose();
    expect(step).toBe(4);
    expect(losses).toHaveLength(4);
    expect(model.config).toMatchObject({ method: 'cebm', manifold: { name: 'torus' }, sigma: 0 });
    const r = sampleManifold({ model, sampler: 'hmc', chains: 16, steps: 3 });
    expect(r.maxConstraint).toBeLessThan(1e-3);
    expect(() => walkJump({ model })).toThrow(/cebm model has no smoothed density/);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('rejects data off the manifold', async () => {
    await expect(
      fitManifold({
        data: [
          [1, 1, 1],
          [0, 0, 1],
        ],
        manifold: 'sphere',
      }),
    ).rejects.toThrow(/not on the sphere/);
  });
});

describe('sampleBinary', () => {
  it('flip-noise walk-jump from a score gives bits; a Gaussian model gives bits and probabilities', async () => {
    const before = tf.memory().numTensors;
    const p = discrete.productBernoulli([0.9, 0.1, 0.9, 0.1, 0.5]);
    const exact = discrete.exactDistribution((y) => p.logProb(y), 5);
    const alpha = 0.8;
    const r = sampleBinary({
      score: discrete.noisyScore(exact, alpha),
      alpha,
      dim: 5,
      chains: 400,
      steps: 30,
      every: 10,
    });
    expect(r.samples.shape).toEqual([400, 5]);
    expect(r.samples.data.every((b) => b === 0 || b === 1)).toBe(true);
    const freq = [0, 1, 2, 3, 4].map(
      (j) => r.samples.data.filter((_, i) => i % 5 === j).reduce((a, b) => a + b, 0) / 400,
    );
    expect(freq[0]).toBeGreaterThan(0.7);
    expect(freq[1]).toBeLessThan(0.3);
    const bits = { data: Float32Array.from({ length: 200 * 4 }, (_, i) => (i % 2 === 0 ? 1 : 0)), shape: [200, 4] };
    const { model } = await fitEnergy({ data: bits, sigma: 0.3, steps: 30, batchSize: 64 });
    const g = sampleBinary({ model, chains: 8, steps: 5 });
    expect(g.samples.data.every((b) => b === 0 || b === 1)).toBe(true);
    expect(g.probabilities?.shape).toEqual([8, 4]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);
});
