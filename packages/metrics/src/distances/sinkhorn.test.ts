import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import fx from '../__fixtures__/sinkhorn.json' with { type: 'json' };
import { sinkhorn, sinkhornDivergence } from './sinkhorn.ts';
import { wasserstein1 } from './wasserstein.ts';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('sinkhorn (log domain) against POT', () => {
  fx.cases.forEach((c) => {
    it(`ε = ${c.epsilon}: ⟨P, C⟩ matches ot.sinkhorn2 / sinkhorn_log; objective and divergence match NumPy`, () => {
      const opts = { epsilon: c.epsilon, weightsA: c.a, tolerance: 1e-10, maxIterations: 200_000 };
      const res = sinkhorn(c.x, c.y, opts);
      expect(res.converged).toBe(true);
      expect(rel(res.cost, c.sinkhorn2)).toBeLessThan(1e-6);
      expect(rel(res.cost, c.cost)).toBeLessThan(1e-6);
      expect(rel(res.objective, c.objective)).toBeLessThan(1e-6);
      expect(rel(sinkhornDivergence(c.x, c.y, opts), c.divergence)).toBeLessThan(1e-5);
    });
  });

  it('is stable for tiny ε (log domain: no overflow) and approaches the exact W2² from above', () => {
    const c = fx.cases[0]!;
    const tiny = sinkhorn(c.x, c.y, { epsilon: 1e-5, weightsA: c.a, maxIterations: 100 });
    expect(Number.isFinite(tiny.cost) && Number.isFinite(tiny.objective)).toBe(true);
    const exact = wasserstein1(c.x, c.y, { weightsA: c.a, cost: 'sqeuclidean' });
    const res = sinkhorn(c.x, c.y, { epsilon: 2e-3, weightsA: c.a, maxIterations: 50_000, tolerance: 1e-5 });
    expect(res.converged).toBe(true);
    expect(res.cost).toBeGreaterThanOrEqual(exact - 1e-9);
    expect(rel(res.cost, exact)).toBeLessThan(0.01);
  });

  it('the divergence is ~0 for identical sets, positive otherwise, and leaks no tensors on tensor input', async () => {
    const c = fx.cases[1]!;
    expect(Math.abs(sinkhornDivergence(c.x, c.x, { epsilon: 0.1 }))).toBeLessThan(1e-9);
    const v = await expectNoLeak(() => {
      const a = tf.tensor2d(c.x);
      const b = tf.tensor2d(c.y);
      const out = sinkhornDivergence(a, b, { epsilon: 0.1 });
      tf.dispose([a, b]);
      return out;
    });
    expect(v).toBeGreaterThan(0);
  });

  it('rejects bad options', () => {
    const x = [[0], [1]];
    expect(() => sinkhorn(x, x, { epsilon: 0 })).toThrow(/sinkhorn: 'epsilon' must be a positive number/);
    expect(() =>
      sinkhornDivergence(x, x, {
        cost: [
          [1, 2],
          [3, 4],
        ],
      }),
    ).toThrow(/sinkhornDivergence: 'cost'/);
    expect(() => sinkhorn(x, [[1, 2]])).toThrow(/sinkhorn: 'b' has dimension 2/);
  });
});
