import * as tf from '@tensorflow/tfjs-core';
import { foldIn, key, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { type Kernel, type KernelState, mala, ula } from './overdamped.ts';
import { chengUnderdamped, sachsUnderdamped } from './underdamped.ts';

// A correlated Gaussian energy E(y) = ½ yᵀAy, score −Ay, on [C, 3].
const A = [
  [2, 0.5, 0],
  [0.5, 1, 0.2],
  [0, 0.2, 0.5],
];
const energy = (y: tf.Tensor) =>
  tf.tidy(() => tf.mul(0.5, tf.sum(tf.mul(tf.matMul(y as tf.Tensor2D, tf.tensor2d(A)), y), 1)));
const score = (y: tf.Tensor) => tf.tidy(() => tf.neg(tf.matMul(y as tf.Tensor2D, tf.tensor2d(A))));

type Make = (step: number | number[]) => Kernel<KernelState>;
const makers: [string, Make][] = [
  ['ula', (s) => ula({ score }, { stepSize: s })],
  ['mala', (s) => mala({ energy, score }, { stepSize: s })],
  ['sachsUnderdamped', (s) => sachsUnderdamped({ score }, { stepSize: s, friction: 1.5, inverseMass: 0.8 })],
  ['chengUnderdamped', (s) => chengUnderdamped({ score }, { stepSize: s, friction: 1.5, inverseMass: 0.8 })],
];

function run(k: Kernel<KernelState>, y0: tf.Tensor, steps: number): Float32Array {
  let s = k.init(y0);
  for (let t = 0; t < steps; t++) {
    const [n, info] = k.step(foldIn(key(5), t), s);
    tf.dispose([s as unknown as tf.TensorContainer, info as unknown as tf.TensorContainer]);
    s = n;
  }
  const out = s.position.dataSync() as Float32Array;
  tf.dispose(s as unknown as tf.TensorContainer);
  return out;
}

describe.each(makers)('%s with per-chain step sizes', (_, make) => {
  it('row i of a batch with steps [δ₀, δ₁, δ₂] is bit-identical to row i of the batch run with scalar δ_i', async () => {
    await expectNoLeak(() => {
      const steps = [0.05, 0.2, 0.6];
      const y0 = tf.tensor2d([
        [1, -1, 0.5],
        [0.3, 0.2, -2],
        [-1, 1, 1],
      ]);
      const mixed = run(make(steps), y0, 25);
      for (let i = 0; i < 3; i++) {
        const alone = run(make(steps[i]!), y0, 25);
        expect(Array.from(mixed.slice(3 * i, 3 * i + 3))).toEqual(Array.from(alone.slice(3 * i, 3 * i + 3)));
      }
      y0.dispose();
    });
  });

  it('rejects a per-chain array of the wrong length at init and non-positive entries when built', async () => {
    await expectNoLeak(() => {
      const y0 = tf.zeros([3, 3]);
      expect(() => make([0.1, 0.2]).init(y0)).toThrow(ShapeError);
      expect(() => make([0.1, 0.2]).init(y0)).toThrow(/one entry per chain \(3\), got 2/);
      expect(() => make([0.1, -0.2, 0.1])).toThrow(ValueError);
      expect(() => make([0.1, Number.NaN, 0.1])).toThrow(/chain 1/);
      y0.dispose();
    });
  });
});
