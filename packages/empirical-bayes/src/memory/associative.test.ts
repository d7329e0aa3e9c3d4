import * as tf from '@tensorflow/tfjs-core';
import { key, normal } from '@walkjump/tensor';
import { expectNoLeak, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { gaussianKdeEnergy } from '../references/kde.ts';
import { associativeMemory, creativeModes } from './associative.ts';

describe('associativeMemory (Sec. 9) and creativeModes (Sec. 10)', () => {
  it('flows to the minimum of a quadratic energy and records the trajectory', async () => {
    await expectNoLeak(async () => {
      const c = tf.tensor1d([1, -2, 0.5]);
      const energy = (y: tf.Tensor) => tf.tidy(() => tf.mul(tf.sum(tf.square(tf.sub(y, c)), 1), 0.5));
      const y0 = normal(key(1), [4, 3], { std: 3 });
      const r = await associativeMemory(energy, y0, { stepSize: 0.3, maxSteps: 500, tol: 1e-6, recordEvery: 5 });
      expect(r.converged.every(Boolean)).toBe(true);
      // the geometric contraction (1 − η)^k: RMS step η‖y − c‖/√d < tol within the predicted count
      expect(Math.max(...r.steps)).toBeLessThan(60);
      const want = [1, -2, 0.5, 1, -2, 0.5, 1, -2, 0.5, 1, -2, 0.5];
      expect(relError(r.y.dataSync(), want)).toBeLessThan(1e-5);
      expect(r.trajectory.length).toBe(r.trajectorySteps.length);
      expect(r.trajectorySteps[0]).toBe(0);
      expect(relError(r.trajectory[0]!.dataSync(), y0.dataSync())).toBe(0);
      tf.dispose([c, y0, r.y, r.energy, ...r.trajectory]);
    });
  });

  it('retrieves the stored pattern nearest to a corrupted one (KDE energy, small σ)', async () => {
    await expectNoLeak(async () => {
      const centres = tf.tensor2d([
        [0, 0, 0, 0],
        [4, 4, 0, 0],
        [0, 4, 4, 4],
      ]);
      const kde = gaussianKdeEnergy(centres, 0.5);
      const y0 = tf.tensor2d([
        [0.6, -0.4, 0.3, 0.2],
        [3.5, 4.6, 0.4, -0.3],
        [0.2, 3.4, 4.5, 3.9],
      ]);
      const r = await associativeMemory(kde.energy, y0, { stepSize: 0.1, maxSteps: 2000, tol: 1e-5 });
      expect(r.converged.every(Boolean)).toBe(true);
      expect(relError(r.y.dataSync(), centres.dataSync())).toBeLessThan(1e-3);
      // the closed-form score gives the same flow as autodiff through the energy
      const r2 = await associativeMemory(kde.energy, y0, {
        stepSize: 0.1,
        maxSteps: 2000,
        tol: 1e-5,
        score: kde.score,
      });
      expect(relError(r2.y.dataSync(), r.y.dataSync())).toBeLessThan(1e-4);
      expect(relError(r2.energy.dataSync(), r.energy.dataSync())).toBeLessThan(1e-4);
      tf.dispose([centres, y0, r.y, r.energy, r2.y, r2.energy]);
      kde.dispose();
    });
  });

  it('creativeModes starts uniformly in [0,1]^d and converges', async () => {
    await expectNoLeak(async () => {
      const centres = tf.tensor2d([
        [0.2, 0.2],
        [0.8, 0.7],
      ]);
      const kde = gaussianKdeEnergy(centres, 0.2);
      const r = await creativeModes(key(2), kde.energy, {
        count: 8,
        shape: [2],
        stepSize: 0.01,
        maxSteps: 3000,
        tol: 1e-7,
      });
      const v = r.y0.dataSync();
      expect(v.every((u) => u >= 0 && u <= 1)).toBe(true);
      expect(r.converged.every(Boolean)).toBe(true);
      // at σ = 0.2 the two modes of the KDE sit slightly inside the segment between the centres
      const e = r.energy.dataSync();
      expect(e.every(Number.isFinite)).toBe(true);
      tf.dispose([centres, r.y, r.y0, r.energy]);
      kde.dispose();
    });
  });

  it('rejects bad input', async () => {
    const e = (y: tf.Tensor) => tf.sum(y, 1);
    const y0 = tf.zeros([2, 2]);
    await expect(associativeMemory(e, y0, { stepSize: 0 })).rejects.toThrow(
      /'stepSize' must be a positive number, got 0/,
    );
    await expect(associativeMemory(e, y0, { stepSize: 1, maxSteps: 0 })).rejects.toThrow(/'maxSteps'/);
    await expect(creativeModes(key(0), e, { count: 0, shape: [2], stepSize: 1 })).rejects.toThrow(/'count'/);
    y0.dispose();
  });
});
