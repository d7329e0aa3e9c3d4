import * as tf from '@tensorflow/tfjs-core';
import { isValueError, key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { ising, isingGrid, productBernoulli } from './binary.ts';
import {
  circleVonMisesMixture,
  projectedNormalPair,
  sineBivariateVonMises,
  vonMises,
  vonMisesFisher,
  vonMisesMixture2,
} from './directional.ts';
import { checkerboard, pinwheel, swissRoll, twoMoons } from './toys.ts';
import type { Distribution } from './types.ts';

const cases: [string, Distribution, number[]][] = [
  ['vonMises', vonMises({ concentration: 2 }), [7]],
  ['vonMisesMixture2', vonMisesMixture2(), [7, 2]],
  ['vonMisesFisher', vonMisesFisher({ mean: [0, 0, 0, 1], concentration: 3 }), [7, 4]],
  ['projectedNormalPair', projectedNormalPair(), [7, 3]],
  ['sineBivariateVonMises', sineBivariateVonMises({ concentration: [1, 2], correlation: 0.5 }), [7, 2]],
  ['twoMoons', twoMoons(), [7, 2]],
  ['swissRoll', swissRoll(), [7, 2]],
  ['pinwheel', pinwheel(), [7, 2]],
  ['checkerboard', checkerboard(), [7, 2]],
  ['productBernoulli', productBernoulli({ means: [0.2, 0.7] }), [7, 2]],
  ['isingGrid', isingGrid({ rows: 2, cols: 2, coupling: 0.5 }), [7, 4]],
];

describe('sampler contract: shapes, same key same draws, different keys differ, no leaks', () => {
  for (const [name, d, shape] of cases) {
    it(name, async () => {
      await expectNoLeak(() => {
        const a = d.sample(key(5), 7);
        const b = d.sample(key(5), 7);
        const c = d.sample(key(6), 7);
        expect(a.shape).toEqual(shape);
        expect(a.dtype).toBe('float32');
        expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
        expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
        expect(Array.from(a.dataSync()).every(Number.isFinite)).toBe(true);
        if (d.logProb !== undefined) {
          const lp = d.logProb(a);
          expect(lp.shape).toEqual([7]);
          expect(Array.from(lp.dataSync()).every(Number.isFinite)).toBe(true);
          lp.dispose();
        }
        const empty = d.sample(key(5), 0);
        expect(empty.shape[0]).toBe(0);
        tf.dispose([a, b, c, empty]);
      });
    });
  }
  it('rejects a bad key and a bad n', () => {
    expect(() => twoMoons().sample([1, 2, 3] as never, 3)).toThrow(/twoMoons\.sample: 'key' must be a Key/);
    expect(() => vonMises({ concentration: 1 }).sample(key(1), 2.5)).toThrow(
      "vonMises.sample: 'n' must be an integer >= 0, got 2.5",
    );
  });
});

describe('validation of options', () => {
  it('names the function and argument', () => {
    expect(() => vonMises({ concentration: -1 })).toThrow(
      "vonMises: 'concentration' must be a non-negative number, got -1",
    );
    expect(() => vonMisesFisher({ mean: [1, 1], concentration: 1 })).toThrow(/'mean' must be a unit vector/);
    expect(() => circleVonMisesMixture({ components: [{ radius: 0, concentration: 1 }] })).toThrow(
      /'components\[0\]\.radius' must be a positive number/,
    );
    expect(() => productBernoulli({ means: [0.5, 1] })).toThrow(
      "productBernoulli: 'means[1]' must be in (0, 1), got 1",
    );
    expect(() =>
      ising({
        couplings: [
          [0, 1],
          [0.5, 0],
        ],
      }),
    ).toThrow(/must be symmetric/);
    expect(() => ising({ couplings: [[1]] })).toThrow(/zero diagonal/);
    const big = isingGrid({ rows: 5, cols: 4, coupling: 0.1 });
    let e: unknown;
    try {
      big.exact();
    } catch (x) {
      e = x;
    }
    expect(isValueError(e)).toBe(true);
    expect((e as Error).message).toBe('ising.exact: exact enumeration needs d <= 16, got d = 20');
  });
  it('isingGrid links nearest neighbours (periodic optional)', () => {
    const g = isingGrid({ rows: 3, cols: 3, coupling: 0.2, periodic: true });
    let links = 0;
    for (let i = 0; i < 81; i++) if (g.couplings[i] !== 0) links++;
    expect(links / 2).toBe(18);
    const o = isingGrid({ rows: 3, cols: 3, coupling: 0.2 });
    let l2 = 0;
    for (let i = 0; i < 81; i++) if (o.couplings[i] !== 0) l2++;
    expect(l2 / 2).toBe(12);
  });
  it('vMF at κ = 0 is uniform: log density = −log |S^{d−1}|', async () => {
    await expectNoLeak(() => {
      const v = vonMisesFisher({ mean: [0, 0, 1], concentration: 0 });
      expect(v.logNormalizer).toBeCloseTo(-Math.log(4 * Math.PI), 12);
      const x = v.sample(key(1), 3);
      x.dispose();
    });
  });
});
