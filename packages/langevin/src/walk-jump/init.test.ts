import * as tf from '@tensorflow/tfjs-core';
import { key, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { initChains, initDataPlusNoise, initUniform, initUniformPlusNoise } from './init.ts';

describe('initialization schemes (Algorithms 1–2 line 4, Remark 4, data + noise)', () => {
  it('uniform lies in [low, high] with the uniform mean and variance; uniform + noise adds N(0, σ²)', async () => {
    await expectNoLeak(() => {
      const u = initUniform(key(1), [4000, 2], { low: -1, high: 3 });
      const x = Array.from(u.dataSync());
      expect(Math.min(...x)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...x)).toBeLessThanOrEqual(3);
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      expect(Math.abs(m - 1)).toBeLessThan(4.5 * Math.sqrt(16 / 12 / x.length));
      const un = initUniformPlusNoise(key(1), [4000, 2], { sigma: 2 });
      const y = Array.from(un.dataSync());
      const my = y.reduce((a, b) => a + b, 0) / y.length;
      const vy = y.reduce((a, b) => a + (b - my) ** 2, 0) / (y.length - 1);
      expect(Math.abs(vy - (4 + 1 / 12))).toBeLessThan(4.5 * (4 + 1 / 12) * Math.sqrt(2 / y.length));
      tf.dispose([u, un]);
    });
  });

  it('data + noise with σ = 0 returns data rows; initChains dispatches on the scheme', async () => {
    await expectNoLeak(() => {
      const data = tf.tensor2d([
        [0, 0, 1],
        [5, 5, 5],
        [-2, 1, 7],
      ]);
      const x = initDataPlusNoise(key(2), data, { chains: 50, sigma: 0 });
      expect(x.shape).toEqual([50, 3]);
      const rows = new Set<string>();
      const v = x.arraySync() as number[][];
      for (const r of v) rows.add(r.join(','));
      expect([...rows].every((r) => ['0,0,1', '5,5,5', '-2,1,7'].includes(r))).toBe(true);
      expect(rows.size).toBe(3);
      const y = initChains(key(2), { scheme: 'dataPlusNoise', data, chains: 50, sigma: 0 });
      expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
      const z = initChains(key(3), { scheme: 'uniform', shape: [5, 2] });
      expect(z.shape).toEqual([5, 2]);
      expect(() => initChains(key(3), { scheme: 'gaussian' } as never)).toThrow(ValueError);
      expect(() => initUniform(key(3), [5])).toThrow(ShapeError);
      expect(() => initUniform(key(3), [5, 2], { low: 1, high: 1 })).toThrow(ValueError);
      expect(() => initDataPlusNoise(key(3), data, { chains: 0, sigma: 1 })).toThrow(ValueError);
      expect(() => initDataPlusNoise(key(3), data, { chains: 2, sigma: -1 })).toThrow(ValueError);
      tf.dispose([data, x, y, z]);
    });
  });
});
