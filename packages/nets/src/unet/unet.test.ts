import * as tf from '@tensorflow/tfjs-core';
import { key, normal, type Params, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { secondOrderCheck, worstError } from '../__tests__/second-order.ts';
import { paramsFromBytes, paramsToBytes } from '../io/io.ts';
import { disposeParams } from '../mlp/mlp.ts';
import { type UnetParams, unet } from './unet.ts';

describe('unet', () => {
  it('output has the input shape (or outChannels), conditioned and not, on 28×28 and 32×32', async () => {
    await expectNoLeak(() => {
      for (const conditioning of [false, true, { embedding: 'fourier' as const, dim: 8, transform: 'log' as const }]) {
        const net = unet({ channels: [4, 8, 8], conditioning });
        for (const shape of [
          [28, 28, 1],
          [32, 32, 3],
        ]) {
          const p = net.init(key(0), shape);
          const x = normal(key(1), [2, ...shape]);
          const t = tf.tensor1d([0.3, 0.7]);
          const y = conditioning === false ? net.apply(p, x) : net.apply(p, x, t);
          expect(y.shape).toEqual([2, ...shape]);
          tf.dispose([x, y, t]);
          disposeParams(p);
        }
      }
      const mdf = unet({ channels: [4, 4], outChannels: 2 });
      const p = mdf.init(key(2), [8, 8, 1]);
      const x = normal(key(3), [1, 8, 8, 1]);
      const y = mdf.apply(p, x);
      expect(y.shape).toEqual([1, 8, 8, 2]);
      tf.dispose([x, y]);
      disposeParams(p);
    });
  });

  it('the conditioning changes the output; a number cond is broadcast', async () => {
    await expectNoLeak(() => {
      const net = unet({ channels: [4, 4], conditioning: true });
      const p = net.init(key(0), [8, 8, 1]);
      const x = normal(key(1), [2, 8, 8, 1]);
      const a = net.apply(p, x, 0.1);
      const t = tf.tensor1d([0.1, 0.1]);
      const b = net.apply(p, x, t);
      const c = net.apply(p, x, 0.9);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]!);
      expect(diff).toBeGreaterThan(1e-4);
      tf.dispose([x, a, b, c, t]);
      disposeParams(p);
    });
  });

  it('validates shapes and cond before computing', () => {
    const net = unet({ channels: [4, 4], conditioning: true });
    const p = net.init(key(0), [8, 8, 1]);
    const x = tf.zeros([2, 8, 8, 1]);
    const odd = tf.zeros([2, 9, 9, 1]);
    const c3 = tf.zeros([3]);
    const before = tf.memory().numTensors;
    expect(() => net.apply(p, odd, 0.5)).toThrow(ShapeError);
    expect(() => net.apply(p, odd, 0.5)).toThrow(
      /unet\[4, 4, sinusoidal\(32\), swish\]\.apply: input 'x' must have shape \[B, H, W, 1\] with H, W divisible by 2, got \[2, 9, 9, 1\]/,
    );
    expect(() => net.apply(p, x, c3)).toThrow(/'cond' must have shape \[2\].*got \[3\]/);
    expect(() => net.apply(p, x)).toThrow(ValueError);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => net.init(key(0), [6, 7, 1])).toThrow(/divisible by 2/);
    expect(() => unet({ conditioning: { dim: 5 } })).toThrow(ValueError);
    tf.dispose([x, odd, c3]);
    disposeParams(p);
  });

  it('save → load through safetensors gives bit-identical outputs', async () => {
    await expectNoLeak(() => {
      const net = unet({ channels: [4, 8], conditioning: { embedding: 'fourier', dim: 8 } });
      const p = net.init(key(11), [8, 8, 2]);
      const bytes = paramsToBytes(p);
      const q = paramsFromBytes(bytes, p);
      const x = normal(key(12), [3, 8, 8, 2]);
      const t = tf.tensor1d([0.1, 0.5, 0.9]);
      const a = net.apply(p, x, t);
      const b = net.apply(q, x, t);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, t, a, b]);
      disposeParams([p, q]);
    });
  });

  it('second order in θ of the input gradient matches finite differences (conditioned, tiny)', async () => {
    const rows = await expectNoLeak(() => {
      const net = unet({ channels: [2, 3], conditioning: { dim: 4 } });
      const p = net.init(key(5), [4, 4, 1]);
      const x = normal(key(6), [2, 4, 4, 1]);
      const w = normal(key(8), [2, 4, 4, 1]);
      const t = tf.tensor1d([0.2, 0.6]);
      // A scalar of the vector output: E(x) = Σ ⟨w, s(x, t)⟩.
      const r = secondOrderCheck(
        (q, z) => tf.sum(tf.mul(net.apply(q as UnetParams, z, t), w), [1, 2, 3]),
        p as Params,
        x,
        key(7),
      );
      tf.dispose([x, w, t]);
      disposeParams(p);
      return r;
    });
    console.info(
      `second-order check, worst relative error ${worstError(rows).toExponential(2)} over ${rows.length} leaves`,
    );
    expect(worstError(rows)).toBeLessThan(2e-2);
  });
});
