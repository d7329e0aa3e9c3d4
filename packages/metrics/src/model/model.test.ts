import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import {
  generalizationScore,
  manifoldDistanceStats,
  memorizationTest,
  nearestNeighbourDistances,
  nll,
} from './model.ts';

describe('nll', () => {
  it('nats and bits/dim of a standard normal evaluated at its own draws', () => {
    // log N(x; 0, I_d) at x = 0 in d = 4: −(d/2) log 2π
    const lp = -2 * Math.log(2 * Math.PI);
    const r = nll([lp, lp, lp], { dims: 4 });
    expect(r.nats).toBeCloseTo(2 * Math.log(2 * Math.PI), 14);
    expect(r.bitsPerDim).toBeCloseTo(Math.log2(2 * Math.PI) / 2, 14);
    expect(r.natsSE).toBe(0);
    expect(r.n).toBe(3);
  });

  it('adds a dequantization offset and reports a standard error', async () => {
    const r = await expectNoLeak(() => {
      const t = tf.tensor1d([-1, -3]);
      const out = nll(t, { dims: 2, offsetNatsPerDim: Math.log(256) });
      t.dispose();
      return out;
    });
    expect(r.nats).toBeCloseTo(2 + 2 * Math.log(256), 12);
    expect(r.bitsPerDim).toBeCloseTo(r.nats / (2 * Math.LN2), 14);
    expect(r.natsSE).toBeCloseTo(1, 12);
    expect(() => nll([0, Number.NaN], { dims: 1 })).toThrow(/nll: 'logProbs' must be finite, entry 1/);
    expect(() => nll([0], { dims: 0 })).toThrow(/nll: 'dims' must be an integer >= 1/);
  });
});

describe('memorization', () => {
  const train = [
    [0, 0],
    [1, 0],
    [0, 1],
    [5, 5],
  ];
  it('nearest and second-nearest distances', () => {
    const nn = nearestNeighbourDistances(
      [
        [0.1, 0],
        [4, 4],
      ],
      train,
    );
    expect(nn.d1[0]).toBeCloseTo(0.1, 14);
    expect(nn.d2[0]).toBeCloseTo(0.9, 14);
    expect(Array.from(nn.index)).toEqual([0, 3]);
  });

  it('flags copies by d₁/d₂ < 1/3', () => {
    const r = memorizationTest(
      [
        [0.01, 0],
        [0.5, 0.5],
        [5, 5],
      ],
      train,
    );
    expect(Array.from(r.ratio.map((v) => (v < 1 / 3 ? 1 : 0)))).toEqual([1, 0, 1]);
    expect(r.memorizedFraction).toBeCloseTo(2 / 3, 14);
    expect(() => memorizationTest([[0, 0]], [[0, 0]])).toThrow(/'train' must have at least 2 point/);
  });
});

describe('generalizationScore (two models, disjoint training sets)', () => {
  it('is 1 for models that agree up to a constant, and lower for disagreeing ones', () => {
    const a = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3 - i * 0.1);
    const b = a.map((v) => v - 2.5);
    const s = generalizationScore(a, b);
    expect(s.pearson).toBeCloseTo(1, 12);
    expect(s.spearman).toBeCloseTo(1, 12);
    expect(s.meanDifference).toBeCloseTo(2.5, 12);
    expect(s.rmsDifference).toBeLessThan(1e-12);
    const c = a.map((v, i) => v + Math.cos(7 * i) * 3);
    expect(generalizationScore(a, c).pearson).toBeLessThan(0.9);
    expect(() => generalizationScore([1, 2], [1, 2, 3])).toThrow(/'logProbsB' must have length 2/);
  });
});

describe('manifoldDistanceStats (Ross et al. 2023, Table 3)', () => {
  it('min, median, mean, max', () => {
    expect(manifoldDistanceStats([0.3, 0.1, 0.2, 1.0])).toEqual({ min: 0.1, median: 0.25, mean: 0.4, max: 1, n: 4 });
    expect(() => manifoldDistanceStats([0.1, -1])).toThrow(/must be non-negative, entry 1/);
  });
});
