import * as tf from '@tensorflow/tfjs-core';
import { key, normal, type Params, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { secondOrderCheck, worstError } from '../__tests__/second-order.ts';
import { disposeParams, paramCount } from '../mlp/mlp.ts';
import { type ConvEnergyParams, convEnergy } from './conv-energy.ts';

describe('convEnergy', () => {
  it('gives an energy [B] for 28×28×1 and 32×32×3 images, with the documented parameter count', async () => {
    await expectNoLeak(() => {
      const net = convEnergy({ channels: [8, 16, 16], hidden: 32 });
      for (const shape of [
        [28, 28, 1],
        [32, 32, 3],
      ]) {
        const p = net.init(key(0), shape);
        const C = shape[2]!;
        const s = shape[0] === 28 ? 7 : 8;
        expect(paramCount(p)).toBe(9 * C * 8 + 8 + 9 * 8 * 16 + 16 + 9 * 16 * 16 + 16 + s * s * 16 * 32 + 32 + 32 + 1);
        const x = normal(key(1), [3, ...shape]);
        const e = net.apply(p, x);
        expect(e.shape).toEqual([3]);
        tf.dispose([x, e]);
        disposeParams(p);
      }
    });
  });

  it('validates shapes before computing: ShapeError with the network name and both shapes', () => {
    const net = convEnergy({ channels: [4], hidden: 8 });
    const p = net.init(key(0), [28, 28, 1]);
    const before = tf.memory().numTensors;
    const wrongC = tf.zeros([2, 28, 28, 3]);
    const wrongHW = tf.zeros([2, 32, 32, 1]);
    const flat = tf.zeros([2, 784]);
    expect(() => net.apply(p, wrongC)).toThrow(ShapeError);
    expect(() => net.apply(p, wrongC)).toThrow(
      /convEnergy\[4, 8 → 1, swish\]\.apply: input 'x' must have shape \[B, H, W, 1\], got \[2, 28, 28, 3\]/,
    );
    expect(() => net.apply(p, wrongHW)).toThrow(/got \[2, 32, 32, 1\]/);
    expect(() => net.apply(p, flat)).toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(() => convEnergy({ kernel: 2 })).toThrow(ValueError);
    expect(() => convEnergy({ channels: [4, 4], strides: [1] })).toThrow(ValueError);
    expect(() => net.init(key(0), [28, 28])).toThrow(ShapeError);
    tf.dispose([wrongC, wrongHW, flat]);
    disposeParams(p);
  });

  it('zeroLastLayer starts flat; deterministic in the key', async () => {
    await expectNoLeak(() => {
      const net = convEnergy({ channels: [4], hidden: 8, zeroLastLayer: true });
      const a = net.init(key(3), [8, 8, 2]);
      const b = net.init(key(3), [8, 8, 2]);
      expect(Array.from(a.convs[0]!.w.dataSync())).toEqual(Array.from(b.convs[0]!.w.dataSync()));
      const x = normal(key(4), [2, 8, 8, 2]);
      const e = net.apply(a, x);
      expect(Array.from(e.dataSync())).toEqual([0, 0]);
      tf.dispose([x, e]);
      disposeParams([a, b]);
    });
  });

  it('second order: ∂θ⟨∇_y E, v⟩ matches finite differences of the input gradient (tiny instance)', async () => {
    const rows = await expectNoLeak(() => {
      const net = convEnergy({ channels: [3, 4], hidden: 6 });
      const p = net.init(key(5), [6, 6, 2]);
      const x = normal(key(6), [2, 6, 6, 2]);
      const r = secondOrderCheck((q, z) => net.apply(q as ConvEnergyParams, z), p as Params, x, key(7));
      tf.dispose(x);
      disposeParams(p);
      return r;
    });
    console.info(
      `second-order check, worst relative error ${worstError(rows).toExponential(2)} over ${rows.length} leaves`,
    );
    expect(worstError(rows)).toBeLessThan(2e-2);
  });
});
