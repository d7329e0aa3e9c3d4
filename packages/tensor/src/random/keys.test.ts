import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, meanAndSE } from '@walkjump/testing';
import { bernoulli, categorical, foldIn, key, normal, permutation, split, uniform } from '../index.ts';
import { threefry2x32 } from './threefry.ts';

describe('keys', () => {
  it('threefry2x32 matches the Random123 known-answer vectors', () => {
    // Known-answer tests from Random123's kat_vectors (threefry2x32_20).
    const cases: Array<[number[], number[], number[]]> = [
      [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
      [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
      [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
    ];
    for (const [k, x, want] of cases) {
      const x0 = new Uint32Array([x[0]!]);
      const x1 = new Uint32Array([x[1]!]);
      threefry2x32(k[0]!, k[1]!, x0, x1);
      expect([x0[0], x1[0]]).toEqual(want);
    }
  });

  it('same key gives the same draws; split keys differ', async () => {
    await expectNoLeak(() => {
      const k = key(42);
      const a = normal(k, [1000]);
      const b = normal(k, [1000]);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      const [k1, k2] = split(k);
      const c = normal(k1!, [1000]);
      const d = normal(k2!, [1000]);
      expect(Array.from(c.dataSync())).not.toEqual(Array.from(d.dataSync()));
      expect(foldIn(k, 3)).not.toEqual(foldIn(k, 4));
      tf.dispose([a, b, c, d]);
    });
  });

  it('normal and uniform have the right moments (5 s.e.)', () => {
    const n = 200_000;
    const z = normal(key(1), [n]);
    const zs = z.dataSync();
    const { mean, se } = meanAndSE(zs);
    expect(Math.abs(mean)).toBeLessThan(5 * se);
    const sq = Float64Array.from(zs, (v) => v * v);
    const m2 = meanAndSE(sq);
    expect(Math.abs(m2.mean - 1)).toBeLessThan(5 * m2.se);
    const u = uniform(key(2), [n]).dataSync();
    const mu = meanAndSE(u);
    expect(Math.abs(mu.mean - 0.5)).toBeLessThan(5 * mu.se);
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    tf.dispose(z);
  });

  it('bernoulli, categorical and permutation', async () => {
    await expectNoLeak(() => {
      const b = bernoulli(key(3), 0.3, [100_000]);
      const mb = meanAndSE(b.dataSync());
      expect(Math.abs(mb.mean - 0.3)).toBeLessThan(5 * mb.se);
      const logits = tf.tidy(() => tf.tile(tf.log(tf.tensor2d([[0.2, 0.5, 0.3]])), [50_000, 1]));
      const c = categorical(key(4), logits);
      const counts = [0, 0, 0];
      for (const v of c.dataSync()) counts[v]! += 1;
      const p = [0.2, 0.5, 0.3];
      counts.forEach((cnt, i) => {
        const se = Math.sqrt((p[i]! * (1 - p[i]!)) / 50_000);
        expect(Math.abs(cnt / 50_000 - p[i]!)).toBeLessThan(5 * se);
      });
      const perm = permutation(key(5), 100);
      expect(Array.from(perm).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      tf.dispose([b, logits, c]);
    });
  });

  it('rejects bad input with named errors', () => {
    expect(() => key(-1)).toThrow(/key: 'seed' must be a non-negative safe integer, got -1/);
    expect(() => split(key(0), 0)).toThrow(/split: 'n' must be an integer >= 1, got 0/);
    expect(() => normal([1, 2, 3] as never, [2])).toThrow(/normal: 'key'/);
  });
});
