import * as tf from '@tensorflow/tfjs-core';
import { key, normal, type Params, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { secondOrderCheck, worstError } from '../__tests__/second-order.ts';
import { disposeParams } from '../mlp/mlp.ts';
import {
  type ResnetDecoderParams,
  type ResnetEncoderParams,
  resnetDecoder,
  resnetEncoder,
  vaeSplit,
} from './resnet.ts';

const stages = [
  { width: 8, depth: 1 },
  { width: 8, depth: 2 },
  { width: 16, depth: 1 },
  { width: 16, depth: 1 },
  { width: 16, depth: 1 },
];

describe('resnetEncoder / resnetDecoder', () => {
  it('encode 28×28×1 → latent (and VAE mean/log-variance), decode back to 28×28×1 (pooling 28 → 14 → 7 → 4 → 2)', async () => {
    await expectNoLeak(() => {
      const enc = resnetEncoder({ stages, latent: 5 });
      const vae = resnetEncoder({ stages, latent: 5, vae: true });
      const dec = resnetDecoder({ stages, latent: 5, outputShape: [28, 28, 1] });
      const pe = enc.init(key(0), [28, 28, 1]);
      const pv = vae.init(key(1), [28, 28, 1]);
      const pd = dec.init(key(2), [5]);
      // 001 Table 3: at resolution < 3 every kernel is 1×1.
      expect(pe.stages[4]!.blocks[0]!.c2.w.shape[0]).toBe(1);
      expect(pe.stages[3]!.blocks[0]!.c2.w.shape[0]).toBe(3);
      const x = normal(key(3), [3, 28, 28, 1]);
      const z = enc.apply(pe, x);
      expect(z.shape).toEqual([3, 5]);
      const out = vae.apply(pv, x);
      expect(out.shape).toEqual([3, 2, 5]);
      const { mean, logVar } = vaeSplit(out);
      expect(mean.shape).toEqual([3, 5]);
      expect(logVar.shape).toEqual([3, 5]);
      const xr = dec.apply(pd, z);
      expect(xr.shape).toEqual([3, 28, 28, 1]);
      tf.dispose([x, z, out, mean, logVar, xr]);
      disposeParams([pe, pv, pd]);
    });
  });

  it('validates options and shapes', () => {
    expect(() => resnetEncoder({ latent: 0 })).toThrow(ValueError);
    expect(() => resnetDecoder({ latent: 2, outputShape: [28, 28] })).toThrow(ValueError);
    const enc = resnetEncoder({ stages: [{ width: 4, depth: 1 }], latent: 2 });
    const p = enc.init(key(0), [8, 8, 1]);
    const bad = tf.zeros([2, 8, 8, 3]);
    expect(() => enc.apply(p, bad)).toThrow(ShapeError);
    expect(() => enc.apply(p, bad)).toThrow(
      /resnetEncoder\[4×1 → 2, swish\]\.apply: input 'x' must have shape \[B, H, W, 1\], got \[2, 8, 8, 3\]/,
    );
    const dec = resnetDecoder({ stages: [{ width: 4, depth: 1 }], latent: 2, outputShape: [8, 8, 1] });
    const pd = dec.init(key(1), [2]);
    const badZ = tf.zeros([2, 3]);
    expect(() => dec.apply(pd, badZ)).toThrow(/input 'z' must have shape \[B, 2\], got \[2, 3\]/);
    tf.dispose([bad, badZ]);
    disposeParams([p, pd]);
  });

  it('second order: encoder energy ½‖enc(x)‖² and decoder, θ-gradient of the input gradient vs finite differences', async () => {
    const rows = await expectNoLeak(() => {
      const st = [
        { width: 4, depth: 1 },
        { width: 4, depth: 1 },
      ];
      const enc = resnetEncoder({ stages: st, latent: 3 });
      const dec = resnetDecoder({ stages: st, latent: 3, outputShape: [4, 4, 1] });
      const pe = enc.init(key(5), [4, 4, 1]);
      const pd = dec.init(key(6), [3]);
      const x = normal(key(7), [2, 4, 4, 1]);
      const z = normal(key(8), [2, 3]);
      const w = normal(key(9), [2, 4, 4, 1]);
      const re = secondOrderCheck(
        (q, u) => tf.mul(tf.sum(tf.square(enc.apply(q as ResnetEncoderParams, u)), 1), 0.5),
        pe as Params,
        x,
        key(10),
      );
      const rd = secondOrderCheck(
        (q, u) => tf.sum(tf.mul(dec.apply(q as ResnetDecoderParams, u), w), [1, 2, 3]),
        pd as Params,
        z,
        key(11),
      );
      tf.dispose([x, z, w]);
      disposeParams([pe, pd]);
      return [...re, ...rd];
    });
    console.info(
      `second-order check, worst relative error ${worstError(rows).toExponential(2)} over ${rows.length} leaves`,
    );
    expect(worstError(rows)).toBeLessThan(2e-2);
  });
});
