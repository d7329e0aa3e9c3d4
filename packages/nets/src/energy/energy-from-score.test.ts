import * as tf from '@tensorflow/tfjs-core';
import { inputGrad, key, normal, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { disposeParams } from '../mlp/mlp.ts';
import { unet } from '../unet/unet.ts';
import { energyFromScore } from './energy-from-score.ts';

describe('energyFromScore', () => {
  it('a bias-free symmetric linear field (conservative, homogeneous): ∇U = s exactly', async () => {
    await expectNoLeak(() => {
      const a = normal(key(0), [5, 5]);
      const A = tf.tidy(() => tf.add(a, tf.transpose(a)) as tf.Tensor2D);
      const s = (y: tf.Tensor): tf.Tensor => tf.matMul(y as tf.Tensor2D, A);
      const y = normal(key(1), [4, 5]);
      const U = energyFromScore(s, { field: 'energyGradient' });
      const g = inputGrad((z) => U(z))(y);
      const sy = s(y);
      expect(relError(g.dataSync(), sy.dataSync())).toBeLessThan(1e-5);
      // Default convention (a score, ∇log p): E = −½⟨y, s⟩ and −∇E = s.
      const E = energyFromScore(s);
      const gE = inputGrad((z) => E(z))(y);
      const neg = tf.neg(gE);
      expect(relError(neg.dataSync(), sy.dataSync())).toBeLessThan(1e-5);
      tf.dispose([a, A, y, g, sy, gE, neg]);
    });
  });

  it('a nonlinear degree-1 homogeneous conservative field s = ∇V, V(y) = √(Σ y⁴): ∇U = s', async () => {
    await expectNoLeak(() => {
      const s = (y: tf.Tensor): tf.Tensor =>
        tf.tidy(() => tf.div(tf.mul(2, tf.pow(y, 3)), tf.sqrt(tf.sum(tf.pow(y, 4), 1, true))));
      const y = normal(key(2), [3, 6]);
      const g = inputGrad((z) => energyFromScore(s, { field: 'energyGradient' })(z))(y);
      const sy = s(y);
      expect(relError(g.dataSync(), sy.dataSync())).toBeLessThan(1e-5);
      tf.dispose([y, g, sy]);
    });
  });

  it('is not a true energy for a non-homogeneous net (a U-Net with biases and swish): ∇U ≠ s', async () => {
    await expectNoLeak(() => {
      const net = unet({ channels: [2, 2], conditioning: true });
      const p = net.init(key(3), [4, 4, 1]);
      const y = normal(key(4), [2, 4, 4, 1]);
      const U = energyFromScore((z, t) => net.apply(p, z, t), { field: 'energyGradient' });
      const u = U(y, 0.5);
      expect(u.shape).toEqual([2]);
      const g = inputGrad((z) => U(z, 0.5))(y);
      const sy = net.apply(p, y, 0.5);
      expect(relError(g.dataSync(), sy.dataSync())).toBeGreaterThan(1e-2);
      tf.dispose([y, u, g, sy]);
      disposeParams(p);
    });
  });

  it('validates its inputs', () => {
    expect(() => energyFromScore(42 as never)).toThrow(ValueError);
    const U = energyFromScore((y) => tf.sum(y, 1));
    const y = tf.zeros([2, 3]);
    expect(() => U(y)).toThrow(ShapeError);
    y.dispose();
  });
});
