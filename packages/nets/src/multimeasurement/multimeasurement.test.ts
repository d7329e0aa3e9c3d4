import * as tf from '@tensorflow/tfjs-core';
import { key, normal, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { convEnergy } from '../conv/conv-energy.ts';
import { disposeParams } from '../mlp/mlp.ts';
import { u2net } from '../u2net/u2net.ts';
import { unet } from '../unet/unet.ts';
import { multimeasurement } from './multimeasurement.ts';

describe('multimeasurement', () => {
  it('stacks M measurements as M·C channels and unstacks a same-shape output', async () => {
    await expectNoLeak(() => {
      const net = multimeasurement(unet({ channels: [4, 4] }), { M: 3 });
      const p = net.init(key(0), [3, 8, 8, 1]);
      expect(p.inConv.w.shape).toEqual([3, 3, 3, 4]);
      const y = normal(key(1), [2, 3, 8, 8, 1]);
      const out = net.apply(p, y);
      expect(out.shape).toEqual([2, 3, 8, 8, 1]);
      tf.dispose([y, out]);
      disposeParams(p);
    });
  });

  it('equals the inner net applied to the channel-stacked image (channel m·C + c)', async () => {
    await expectNoLeak(() => {
      const inner = convEnergy({ channels: [4], hidden: 4 });
      const net = multimeasurement(inner, { M: 2 });
      const p = net.init(key(0), [2, 4, 4, 3]);
      const y = normal(key(1), [2, 2, 4, 4, 3]);
      const e = net.apply(p, y);
      expect(e.shape).toEqual([2]);
      const e2 = tf.tidy(() => {
        const [y1, y2] = tf.split(y, 2, 1) as [tf.Tensor, tf.Tensor];
        return inner.apply(p, tf.concat([tf.reshape(y1, [2, 4, 4, 3]), tf.reshape(y2, [2, 4, 4, 3])], 3));
      });
      expect(Array.from(e.dataSync())).toEqual(Array.from(e2.dataSync()));
      tf.dispose([y, e, e2]);
      disposeParams(p);
    });
  });

  it('accepts flattened [B, M, d] with imageShape; an MDAE-style single-image output is returned as is', async () => {
    await expectNoLeak(() => {
      const net = multimeasurement(u2net({ stages: [{ height: 2, mid: 2, out: 2 }], outChannels: 1 }), {
        M: 4,
        imageShape: [4, 4, 1],
      });
      const p = net.init(key(0), [4, 16]);
      const y = normal(key(1), [2, 4, 16]);
      const xhat = net.apply(p, y);
      expect(xhat.shape).toEqual([2, 4, 4, 1]);
      const flatOut = multimeasurement(unet({ channels: [2] }), { M: 4, imageShape: [4, 4, 1] });
      const q = flatOut.init(key(2), [4, 16]);
      const o = flatOut.apply(q, y);
      expect(o.shape).toEqual([2, 4, 16]);
      tf.dispose([y, xhat, o]);
      disposeParams([p, q]);
    });
  });

  it('validates M and shapes', () => {
    const inner = unet({ channels: [2] });
    expect(() => multimeasurement(inner, { M: 0 })).toThrow(ValueError);
    const net = multimeasurement(inner, { M: 2 });
    expect(() => net.init(key(0), [3, 4, 4, 1])).toThrow(ValueError);
    const p = net.init(key(0), [2, 4, 4, 1]);
    const bad = tf.zeros([1, 3, 4, 4, 1]);
    expect(() => net.apply(p, bad)).toThrow(ShapeError);
    expect(() => net.apply(p, bad)).toThrow(
      /multimeasurement\[M=2\]\(unet\[2, swish\]\)\.apply: input 'y' must have shape \[B, 2, 4, 4, 1\], got \[1, 3, 4, 4, 1\]/,
    );
    bad.dispose();
    disposeParams(p);
  });
});
