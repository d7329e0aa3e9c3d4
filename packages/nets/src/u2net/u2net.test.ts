import * as tf from '@tensorflow/tfjs-core';
import { key, normal, type Params, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { secondOrderCheck, worstError } from '../__tests__/second-order.ts';
import { disposeParams } from '../mlp/mlp.ts';
import { type U2netParams, u2net } from './u2net.ts';

describe('u2net', () => {
  it('output has the input shape on 28×28×1 (odd sizes inside: 7 → 4) and 32×32×3', async () => {
    await expectNoLeak(() => {
      const net = u2net({
        stages: [
          { height: 4, mid: 4, out: 6 },
          { height: 3, mid: 4, out: 6 },
          { height: 2, mid: 4, out: 8 },
        ],
        sigma: 0.5,
      });
      for (const shape of [
        [28, 28, 1],
        [32, 32, 3],
      ]) {
        const p = net.init(key(0), shape);
        expect(p.encoders.length).toBe(3);
        expect(p.decoders.length).toBe(2);
        const x = normal(key(1), [2, ...shape]);
        const y = net.apply(p, x);
        expect(y.shape).toEqual([2, ...shape]);
        tf.dispose([x, y]);
        disposeParams(p);
      }
    });
  });

  it('scales inputs by 1/√(0.225² + σ²): fixed σ equals per-sample σ given as cond', async () => {
    await expectNoLeak(() => {
      const stages = [{ height: 2, mid: 2, out: 3 }];
      const fixed = u2net({ stages, sigma: 0.4 });
      const free = u2net({ stages });
      const p = fixed.init(key(0), [4, 4, 1]);
      const x = normal(key(1), [2, 4, 4, 1]);
      const a = fixed.apply(p, x);
      const b = free.apply(p, x, 0.4);
      const xs = tf.mul(x, 1 / Math.sqrt(0.225 ** 2 + 0.16));
      const c = free.apply(p, xs);
      const d1 = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
      const d2 = tf.tidy(() => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]!);
      expect(d1).toBeLessThan(1e-6);
      expect(d2).toBeLessThan(1e-6);
      tf.dispose([x, a, b, xs, c]);
      disposeParams(p);
    });
  });

  it('validates options and shapes', () => {
    expect(() => u2net({ stages: [{ height: 1, mid: 2, out: 2 }] })).toThrow(ValueError);
    expect(() => u2net({ sigma: -1 })).toThrow(ValueError);
    const net = u2net({ stages: [{ height: 2, mid: 2, out: 2 }] });
    const p = net.init(key(0), [4, 4, 1]);
    const bad = tf.zeros([1, 4, 4, 2]);
    expect(() => net.apply(p, bad)).toThrow(ShapeError);
    expect(() => net.apply(p, bad)).toThrow(
      /u2net\[RSU2\(2→2\), swish\]\.apply: input 'x' must have shape \[B, H, W, 1\], got \[1, 4, 4, 2\]/,
    );
    bad.dispose();
    disposeParams(p);
  });

  it('second order in θ of the input gradient matches finite differences (tiny)', async () => {
    const rows = await expectNoLeak(() => {
      const net = u2net({
        stages: [
          { height: 3, mid: 2, out: 2 },
          { height: 2, mid: 2, out: 3 },
        ],
        sigma: 0.3,
      });
      const p = net.init(key(5), [6, 6, 1]);
      const x = normal(key(6), [1, 6, 6, 1]);
      const w = normal(key(8), [1, 6, 6, 1]);
      const r = secondOrderCheck(
        (q, z) => tf.sum(tf.mul(net.apply(q as U2netParams, z), w), [1, 2, 3]),
        p as Params,
        x,
        key(7),
      );
      tf.dispose([x, w]);
      disposeParams(p);
      return r;
    });
    console.info(
      `second-order check, worst relative error ${worstError(rows).toExponential(2)} over ${rows.length} leaves`,
    );
    expect(worstError(rows)).toBeLessThan(2e-2);
  });
});
