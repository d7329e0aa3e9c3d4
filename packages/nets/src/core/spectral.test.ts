import * as tf from '@tensorflow/tfjs-core';
import { flattenParams, key, normal, type Params, unflattenParams, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { secondOrderCheck, worstError } from '../__tests__/second-order.ts';
import { type ConvEnergyParams, convEnergy } from '../conv/conv-energy.ts';
import { disposeParams } from '../mlp/mlp.ts';
import { type UnetParams, unet } from '../unet/unet.ts';

/** A copy of `p` with every weight `w` multiplied by `s` (biases and u unchanged). */
function scaleWeights(p: Params, s: number): Params {
  const flat = flattenParams(p);
  return unflattenParams(
    p,
    Object.fromEntries(Object.entries(flat).map(([n, t]) => [n, n.endsWith('.w') ? tf.mul(t, s) : tf.clone(t)])),
  );
}

const notU = (name: string): boolean => !name.endsWith('.u');

describe('spectral normalization of conv networks', () => {
  it('adds a unit vector u [out] to every conv and dense layer; outputs are invariant to scaling the weights', async () => {
    await expectNoLeak(() => {
      for (const [net, shape] of [
        [convEnergy({ channels: [3, 4], hidden: 5, spectralNorm: { iterations: 30 } }), [8, 8, 1]],
        [unet({ channels: [2, 3], conditioning: { dim: 4 }, spectralNorm: { iterations: 30 } }), [4, 4, 1]],
      ] as const) {
        const p = (net.init as (k: ReturnType<typeof key>, s: number[]) => Params)(key(0), [...shape]);
        const flat = flattenParams(p);
        const ws = Object.keys(flat).filter((n) => n.endsWith('.w'));
        const us = Object.keys(flat).filter((n) => n.endsWith('.u'));
        expect(us.length).toBe(ws.length);
        for (const u of us) expect(tf.tidy(() => tf.sum(tf.square(flat[u]!)).dataSync()[0]!)).toBeCloseTo(1, 5);
        const q = scaleWeights(p, 7);
        const x = normal(key(1), [2, ...shape]);
        const apply = net.apply as (p: Params, x: tf.Tensor, c?: number) => tf.Tensor;
        const a = apply(p, x, 0.3);
        const b = apply(q, x, 0.3);
        const err = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(a)).dataSync()[0]!);
        expect(err).toBeLessThan(1e-4);
        tf.dispose([x, a, b]);
        disposeParams([p, q]);
      }
    });
  });

  it('second order through spectrally normalized convEnergy and unet matches finite differences (u fixed)', async () => {
    const rows = await expectNoLeak(() => {
      const ce = convEnergy({ channels: [2, 3], hidden: 4, spectralNorm: { iterations: 40 } });
      const un = unet({ channels: [2], spectralNorm: { iterations: 40 } });
      const p1 = ce.init(key(3), [6, 6, 1]);
      const p2 = un.init(key(4), [4, 4, 1]);
      const x1 = normal(key(5), [2, 6, 6, 1]);
      const x2 = normal(key(6), [2, 4, 4, 1]);
      const w = normal(key(7), [2, 4, 4, 1]);
      const r1 = secondOrderCheck((q, z) => ce.apply(q as ConvEnergyParams, z), p1 as Params, x1, key(8), 1e-2, notU);
      const r2 = secondOrderCheck(
        (q, z) => tf.sum(tf.mul(un.apply(q as UnetParams, z), w), [1, 2, 3]),
        p2 as Params,
        x2,
        key(9),
      );
      tf.dispose([x1, x2, w]);
      disposeParams([p1, p2]);
      return [...r1, ...r2];
    });
    console.info(
      `second-order check, worst relative error ${worstError(rows).toExponential(2)} over ${rows.length} leaves`,
    );
    expect(worstError(rows)).toBeLessThan(2e-2);
  });

  it('rejects bad options', () => {
    expect(() => convEnergy({ spectralNorm: { iterations: 0 } })).toThrow(ValueError);
    expect(() => unet({ spectralNorm: 3 as never })).toThrow(ValueError);
  });
});
