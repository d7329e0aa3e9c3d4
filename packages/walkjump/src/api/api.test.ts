import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  datasets,
  empiricalBayes,
  evaluate,
  fitEnergy,
  langevin,
  loadModel,
  metrics,
  saveModel,
  tensor,
  walkJump,
} from '../index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'walkjump-api-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('namespaces', () => {
  it('re-exports every package', () => {
    expect(typeof datasets.ring8).toBe('function');
    expect(typeof empiricalBayes.deenLoss).toBe('function');
    expect(typeof langevin.ula).toBe('function');
    expect(typeof metrics.mmd).toBe('function');
    expect(typeof tensor.key).toBe('function');
  });
});

describe('quick start: fitEnergy → walkJump → evaluate, save/load', () => {
  it('learns ring8 well enough that jumps beat walks, round-trips bit-exactly, leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const ring = datasets.ring8();
    const train = tf.tidy(() => ring.sample(tensor.key(1), 4000));
    const { model, history, step } = await fitEnergy({
      data: train,
      sigma: 0.3,
      steps: 500,
      batchSize: 256,
      learningRate: 3e-3,
    });
    train.dispose();
    expect(step).toBe(500);
    expect(history.length).toBeGreaterThan(0);
    const fresh = tf.tidy(() => ring.sample(tensor.key(2), 600));
    const data = { data: fresh.dataSync() as Float32Array, shape: fresh.shape };
    fresh.dispose();
    const s = walkJump({ model, chains: 300, steps: 150, every: 50, init: 'data', data });
    expect(s.jump.shape).toEqual([300, 2]);
    expect(s.trace.steps).toEqual([50, 100, 150]);
    const j = evaluate({ samples: s.jump, data });
    const w = evaluate({ samples: s.walk, data });
    expect(j.slicedWasserstein).toBeLessThan(0.85 * (w.slicedWasserstein as number));

    await saveModel(model, tmp);
    const loaded = await loadModel(tmp);
    expect(loaded.config).toEqual(model.config);
    const a = tensor.flattenParams(model.params);
    const b = tensor.flattenParams(loaded.params);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) {
      expect(
        Buffer.from((b[k] as tf.Tensor).dataSync().buffer).equals(Buffer.from((a[k] as tf.Tensor).dataSync().buffer)),
        k,
      ).toBe(true);
    }
    const y = tf.tensor2d([[0.3, -1.2]]);
    const [e1, e2] = [(loaded.energy as tensor.EnergyFn)(y), (model.energy as tensor.EnergyFn)(y)];
    expect(e1.dataSync()[0]).toBe(e2.dataSync()[0]);
    tf.dispose([y, e1, e2]);
    loaded.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('every sampler runs and mala reports its acceptance', async () => {
    const { model } = await fitEnergy({ data: datasets.ring8(), steps: 30, batchSize: 64 });
    for (const sampler of ['ula', 'mala', 'cheng', 'sachs'] as const) {
      const s = walkJump({ model, sampler, chains: 16, steps: 20, every: 10 });
      expect(s.nonFinite, sampler).toBe(0);
      expect(s.jump.data.every(Number.isFinite), sampler).toBe(true);
      if (sampler === 'mala') expect(s.acceptance).toBeGreaterThan(0.3);
    }
    model.dispose();
  }, 30_000);
});

describe('every method trains, samples and round-trips', () => {
  it.each([
    ['multimeasurement', 3],
    ['mdae', 3],
    ['dual', 1],
  ] as const)(
    '%s (M = %i)',
    async (method, M) => {
      const before = tf.memory().numTensors;
      const { model, history } = await fitEnergy({
        data: datasets.ring8(),
        method,
        M,
        steps: 40,
        batchSize: 64,
        learningRate: 3e-3,
      });
      expect(history.every((h) => Number.isFinite(h.loss))).toBe(true);
      expect(model.config).toMatchObject({ method, M });
      const s = walkJump({ model, chains: 32, steps: 20, every: 10, sampler: 'sachs' });
      expect(s.jump.shape).toEqual([32, 2]);
      expect(s.walk.shape).toEqual(M === 1 ? [32, 2] : [32, M, 2]);
      expect(s.jump.data.every(Number.isFinite)).toBe(true);
      if (method === 'mdae') expect(() => walkJump({ model, sampler: 'mala' })).toThrow(/mala' needs an energy/);
      const dir = join(tmp, method);
      (await import('node:fs')).mkdirSync(dir, { recursive: true });
      await saveModel(model, dir);
      const loaded = await loadModel(dir);
      const y = tf.tensor2d([[0.3, -1.2, 1, 1, 0.5, 0.5].slice(0, 2 * M)]);
      const [a, b] = [model.denoise(y), loaded.denoise(y)];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([y, a, b]);
      loaded.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
    30_000,
  );

  it('deen and dual refuse M > 1', async () => {
    await expect(fitEnergy({ data: datasets.ring8(), method: 'deen', M: 2 })).rejects.toThrow(
      /one measurement \(M = 1\), got M = 2/,
    );
  });
});

describe('bad input is rejected before any work', () => {
  it('NaN data, unknown method, bad sigma, newer run folder', async () => {
    await expect(
      fitEnergy({
        data: [
          [0, 1],
          [Number.NaN, 2],
        ],
      }),
    ).rejects.toThrow(/non-finite value \(NaN\) at sample 1, feature 0/);
    await expect(fitEnergy({ data: [[0, 1]], method: 'nope' as 'deen' })).rejects.toThrow(
      /method must be one of deen, multimeasurement, mdae, dual, got "nope"/,
    );
    await expect(fitEnergy({ data: [[0, 1]], sigma: -1 })).rejects.toThrow(/sigma must be a positive number, got -1/);
    expect(() => walkJump({ model: undefined as never })).toThrow(/model/);
    const dir = join(tmp, 'newer');
    rmSync(dir, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(dir);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ formatVersion: 99, kind: 'energy', net: { kind: 'mlp' } }));
    await expect(loadModel(dir)).rejects.toThrow(/newer walkjump \(run-folder format 99; this version reads up to 1\)/);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toContain('99');
  });
});
