import * as tf from '@tensorflow/tfjs-core';
import { inputGrad, key, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { gibbs } from '../samplers/gibbs.ts';
import { dmala, twoStageDiscreteLangevin } from '../samplers/langevin.ts';
import { metropolis } from '../samplers/metropolis.ts';
import { enumerateStates, exactDistribution, exactMoments, totalVariation } from './exact.ts';
import { ising, isingLattice, productBernoulli, randomIsing, rbm, toBinary, toSpins } from './models.ts';

const read = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('targets with exact answers', () => {
  it('product-Bernoulli: enumeration gives log Z = Σ log 2cosh h and E[y_i] = 2p_i − 1', async () => {
    await expectNoLeak(() => {
      const m = productBernoulli([0.1, 0.5, 0.7, 0.95]);
      const dist = exactDistribution(m.logProb, 4);
      expect(dist.logZ).toBeCloseTo(m.logZ, 5);
      expect(relError(exactMoments(dist).means, m.means)).toBeLessThan(1e-5);
    });
  });

  it('Ising: gradient Jy + h equals autodiff; enumeration of a 2-spin model is analytic', async () => {
    await expectNoLeak(() => {
      const m = randomIsing(key(1), 6);
      const y = tf.tidy(() =>
        tf.sub(tf.mul(tf.cast(tf.greater(tf.randomUniform([5, 6], 0, 1, 'float32', 3), 0.5), 'float32'), 2), 1),
      );
      expect(relError(read(m.grad(y)), read(inputGrad(m.logProb)(y)))).toBeLessThan(1e-5);
      y.dispose();
      // f = J y0 y1 + h0 y0: Z = Σ exp, E[y0 y1] = (e^{J}(2cosh h0) − e^{−J}(2cosh h0)) / Z = tanh J
      const two = ising({
        J: [
          [0, 0.7],
          [0.7, 0],
        ],
        h: [0.3, 0],
      });
      const dist = exactDistribution(two.logProb, 2);
      expect(dist.logZ).toBeCloseTo(Math.log(2 * Math.cosh(0.3) * 2 * Math.cosh(0.7)), 5);
      expect(exactMoments(dist).correlations[1]).toBeCloseTo(Math.tanh(0.7), 5);
    });
  });

  it('2-D lattice equals the dense Ising model with the same bonds (L = 3, periodic) and its explicit gradient', async () => {
    await expectNoLeak(() => {
      const L = 3;
      const lat = isingLattice({ L, J: 0.4, h: 0.1 });
      const J = new Float32Array(L * L * L * L);
      const d = L * L;
      for (let r = 0; r < L; r++)
        for (let c = 0; c < L; c++) {
          const i = r * L + c;
          for (const j of [r * L + ((c + 1) % L), ((r + 1) % L) * L + c]) {
            J[i * d + j] = (J[i * d + j] ?? 0) + 0.4;
            J[j * d + i] = (J[j * d + i] ?? 0) + 0.4;
          }
        }
      const dense = ising({ J, h: new Array(d).fill(0.1) });
      const a = exactDistribution(lat.logProb, d);
      const b = exactDistribution(dense.logProb, d);
      expect(a.logZ).toBeCloseTo(b.logZ, 4);
      expect(totalVariation(a.probs, b.probs)).toBeLessThan(1e-5);
      const y = enumerateStates(d);
      expect(relError(read(lat.grad(y)), read(inputGrad(lat.logProb)(y)))).toBeLessThan(1e-5);
      y.dispose();
    });
  });

  it('RBM: free energy equals the brute-force sum over hidden units; gradient equals autodiff', async () => {
    await expectNoLeak(() => {
      const W = [
        [0.5, -0.3],
        [0.2, 0.8],
        [-0.6, 0.1],
      ];
      const b = [0.1, -0.2, 0.3];
      const c = [0.05, -0.4];
      const m = rbm({ W, b, c });
      const ys = enumerateStates(3);
      const f = read(m.logProb(ys));
      for (let k = 0; k < 8; k++) {
        const v = [0, 1, 2].map((i) => ((k >> i) & 1 ? 1 : -1));
        let z = 0;
        for (const h0 of [-1, 1])
          for (const h1 of [-1, 1]) {
            const h = [h0, h1];
            let e = 0;
            for (let i = 0; i < 3; i++) e += b[i]! * v[i]!;
            for (let j = 0; j < 2; j++) e += c[j]! * h[j]!;
            for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) e += v[i]! * W[i]![j]! * h[j]!;
            z += Math.exp(e);
          }
        expect(f[k]).toBeCloseTo(Math.log(z), 4);
      }
      expect(relError(read(m.grad(ys)), read(inputGrad(m.logProb)(ys)))).toBeLessThan(1e-5);
      ys.dispose();
    });
  });

  it('{0,1} ↔ {−1,1} helpers', async () => {
    await expectNoLeak(() => {
      const x = tf.tensor2d([[0, 1, 1]]);
      const y = toSpins(x);
      expect(read(tf.clone(y))).toEqual([-1, 1, 1]);
      expect(read(toBinary(y))).toEqual([0, 1, 1]);
      tf.dispose([x, y]);
    });
  });
});

describe('misuse throws clear errors at init', () => {
  const m = randomIsing(key(2), 4);
  it('states not in {−1, 1}', async () => {
    await expectNoLeak(() => {
      const bad = tf.tensor2d([[1, 0, 1, -1]]);
      expect(() => gibbs(m).init(bad)).toThrow(/entries in \{-1, 1\}, got 0 at \[0, 1\]/);
      expect(() => dmala(m, { stepSize: 1 }).init(bad)).toThrow(ValueError);
      const rank1 = tf.tensor1d([1, -1, 1, 1]);
      expect(() => metropolis(m).init(rank1)).toThrow(ShapeError);
      tf.dispose([bad, rank1]);
    });
  });
  it('η ≤ 0, α ≤ 0, bad radius', () => {
    expect(() => dmala(m, { stepSize: 0 })).toThrow(/dmala: 'stepSize' must be a positive number, got 0/);
    expect(() => twoStageDiscreteLangevin(m.grad, { eta: -1 })).toThrow(/'eta' must be a positive number, got -1/);
    expect(() => metropolis(m, { radius: 0 })).toThrow(ValueError);
  });
  it('a log-probability or score returning the wrong shape', async () => {
    await expectNoLeak(() => {
      const y = tf.tensor2d([
        [1, -1, 1, -1],
        [1, 1, 1, 1],
      ]);
      const wrongF = (z: tf.Tensor) => tf.sum(z);
      expect(() => gibbs(wrongF).init(y)).toThrow(/gibbs: the target's logProb must return shape \[2\], got \[\]/);
      const wrongS = (z: tf.Tensor) => tf.sum(z, 1);
      expect(() => twoStageDiscreteLangevin(wrongS, { eta: 1 }).init(y)).toThrow(
        /must return shape \[2, 4\], got \[2\]/,
      );
      expect(() => exactDistribution(wrongF, 3)).toThrow(ShapeError);
      y.dispose();
    });
  });
});
