import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { foldIn, key, NonFiniteError, normal, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { chengCoefficients, chengUnderdamped, sachsUnderdamped } from './underdamped.ts';

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/cheng-coefficients.json', import.meta.url), 'utf8'),
) as {
  cases: Record<string, number>[];
};
const names = ['decay', 'yVelocity', 'vScore', 'yScore', 'sigmaYY', 'sigmaVV', 'sigmaYV', 'l11', 'l21', 'l22'] as const;

describe('chengCoefficients (Lemma 1, eqs. 34, 38–41)', () => {
  it('match 50-digit reference values to 1e-13 relative for γδ from 5e-10 to 200', () => {
    for (const c of fixture.cases) {
      const got = chengCoefficients({ stepSize: c.stepSize!, friction: c.friction!, inverseMass: c.inverseMass! });
      for (const n of names)
        expect(Math.abs(got[n] - c[n]!) / Math.abs(c[n]!), `${n} at γδ=${c.friction! * c.stepSize!}`).toBeLessThan(
          1e-13,
        );
    }
  });

  it('the closed forms of eqs. 39 and 34 would fail this test at small γδ (the series is needed)', () => {
    const c = fixture.cases.find((k) => k.friction === 1e-9)!;
    const [d, g, u] = [c.stepSize!, c.friction!, c.inverseMass!];
    const e = Math.exp(-g * d);
    const syy = (u / g) * (2 * d - (4 / g) * (1 - e) + (1 - e * e) / g);
    const yScore = (u / g) * (d - (1 - e) / g);
    expect(Math.abs(syy - c.sigmaYY!) / c.sigmaYY!).toBeGreaterThan(1e-3);
    expect(Math.abs(yScore - c.yScore!) / c.yScore!).toBeGreaterThan(1e-9);
  });
});

const score = (y: tf.Tensor) => tf.neg(y);
const kernels = [
  ['sachsUnderdamped', sachsUnderdamped],
  ['chengUnderdamped', chengUnderdamped],
] as const;

describe.each(kernels)('%s: misuse throws, no leaks', (_, make) => {
  it('rejects δ, γ, u ≤ 0 or NaN when built', () => {
    for (const opts of [
      { stepSize: 0, friction: 1 },
      { stepSize: -0.1, friction: 1 },
      { stepSize: 0.1, friction: 0 },
      { stepSize: 0.1, friction: -1 },
      { stepSize: 0.1, friction: 1, inverseMass: 0 },
      { stepSize: 0.1, friction: 1, inverseMass: -2 },
      { stepSize: Number.NaN, friction: 1 },
      { stepSize: 0.1, friction: Number.NaN },
    ])
      expect(() => make({ score }, opts)).toThrow(ValueError);
    expect(() => make({ score }, { stepSize: 0.1, friction: -1 })).toThrow(
      /'friction' must be a positive number, got -1/,
    );
  });

  it('rejects a NaN state, a wrong-shaped velocity and a wrong-shaped or non-finite score at init, leaking nothing', async () => {
    await expectNoLeak(() => {
      const k = make({ score }, { stepSize: 0.1, friction: 1 });
      const y = tf.tensor2d([
        [0, 1],
        [2, 3],
      ]);
      const bad = tf.tensor2d([
        [0, Number.NaN],
        [2, 3],
      ]);
      const v3 = tf.zeros([2, 3]);
      expect(() => k.init(bad)).toThrow(ValueError);
      expect(() => k.init(y, bad)).toThrow(ValueError);
      expect(() => k.init(y, v3)).toThrow(ShapeError);
      const flat = tf.tensor1d([1]);
      expect(() => k.init(flat)).toThrow(ShapeError);
      const wrong = make({ score: (t) => tf.sum(t, 1) }, { stepSize: 0.1, friction: 1 });
      expect(() => wrong.init(y)).toThrow(/the score must return the position's shape \[2, 2\], got \[2\]/);
      const nan = make({ score: (t) => tf.div(t, 0) }, { stepSize: 0.1, friction: 1 });
      expect(() => nan.init(y)).toThrow(NonFiniteError);
      tf.dispose([y, bad, v3, flat]);
    });
  });

  it('a chain whose step is non-finite keeps its state and is flagged; the others move', async () => {
    await expectNoLeak(() => {
      // the score is NaN beyond |y| > 10: chain 1 starts with a huge velocity and leaves that region
      const cliff = (t: tf.Tensor) =>
        tf.tidy(() => tf.where(tf.greater(tf.abs(t), 10), tf.fill(t.shape, Number.NaN), tf.neg(t)));
      const k = make({ score: cliff }, { stepSize: 0.5, friction: 1 });
      const y = tf.tensor2d([
        [0.5, -0.5],
        [1, 1],
      ]);
      const v = tf.tensor2d([
        [0, 0],
        [1e3, 1e3],
      ]);
      const s0 = k.init(y, v);
      const [s1, info] = k.step(key(1), s0);
      expect(Array.from(info.nonFinite.dataSync())).toEqual([0, 1]);
      const p = Array.from(s1.position.dataSync());
      expect(p.slice(2)).toEqual([1, 1]);
      expect(p[0]).not.toBe(0.5);
      expect(Array.from(s1.velocity.dataSync()).slice(2)).toEqual([1e3, 1e3]);
      tf.dispose([y, v, s0, s1, info] as unknown as tf.TensorContainer[]);
    });
  });

  it('same key → same draw, different keys → different draws; velocity defaults to 0', async () => {
    await expectNoLeak(() => {
      const k = make({ score }, { stepSize: 0.3, friction: 0.5, inverseMass: 2 });
      const y = normal(key(3), [4, 3]);
      const s0 = k.init(y);
      expect(Array.from(s0.velocity.dataSync()).every((x) => x === 0)).toBe(true);
      const [a, ia] = k.step(key(9), s0);
      const [b, ib] = k.step(key(9), s0);
      const [c, ic] = k.step(key(10), s0);
      expect(Array.from(a.position.dataSync())).toEqual(Array.from(b.position.dataSync()));
      expect(Array.from(a.position.dataSync())).not.toEqual(Array.from(c.position.dataSync()));
      tf.dispose([y, s0, a, b, c, ia, ib, ic] as unknown as tf.TensorContainer[]);
    });
  });

  it('tf.memory is flat over 1000 steps (the caller disposes the old state and the info)', async () => {
    await expectNoLeak(() => {
      const k = make({ energy: (t) => tf.mul(0.5, tf.sum(tf.square(t), 1)) }, { stepSize: 0.2, friction: 1 });
      const y = normal(key(4), [16, 2]);
      let s = k.init(y);
      let after10 = 0;
      for (let t = 0; t < 1000; t++) {
        const [n, info] = k.step(foldIn(key(5), t), s);
        tf.dispose([s, info] as unknown as tf.TensorContainer[]);
        s = n;
        if (t === 9) after10 = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(after10);
      tf.dispose([y, s] as unknown as tf.TensorContainer[]);
    });
  });
});
