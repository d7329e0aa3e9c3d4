import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { inputGrad, key, normal, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { disposeParams } from '../mlp/mlp.ts';
import { paramCount } from '../mlp/mlp.ts';
import { classifier } from './classifier.ts';
import { loadMnistClassifier, mnistClassifier, mnistClassifierFromBytes, mnistClassifierWeightsUrl } from './mnist.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const dataDir = [process.env['WALKJUMP_DATA'], resolve(repoRoot, '../shared/data')].find(
  (d) => d !== undefined && d !== '' && existsSync(join(d, 'mnist/t10k-images-idx3-ubyte.gz')),
);

/** The first n MNIST test images ([n, 784] in [0, 1]) and labels, read straight from the IDX files. */
function mnistTest(n: number): { x: Float32Array; y: Uint8Array } {
  const img = gunzipSync(readFileSync(join(dataDir!, 'mnist/t10k-images-idx3-ubyte.gz')));
  const lab = gunzipSync(readFileSync(join(dataDir!, 'mnist/t10k-labels-idx1-ubyte.gz')));
  const x = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) x[i] = img[16 + i]! / 255;
  return { x, y: lab.subarray(8, 8 + n) };
}

describe('classifier', () => {
  it('has the documented shapes, accepts flat and NHWC inputs, features are the penultimate layer', async () => {
    await expectNoLeak(() => {
      const net = classifier({ channels: [4, 8], hidden: 12, kernel: 3 });
      const p = net.init(key(0), [28, 28, 1]);
      expect(paramCount(p)).toBe(3 * 3 * 4 + 4 + 3 * 3 * 4 * 8 + 8 + 7 * 7 * 8 * 12 + 12 + 12 * 10 + 10);
      const x = normal(key(1), [3, 28, 28, 1]);
      const z = net.apply(p, x);
      expect(z.shape).toEqual([3, 10]);
      const flat = tf.reshape(x, [3, 784]);
      const z2 = net.apply(p, flat);
      expect(Array.from(z2.dataSync())).toEqual(Array.from(z.dataSync()));
      const f = net.features(p, x);
      expect(f.shape).toEqual([3, 12]);
      const lp = net.logProbs(p, x);
      const total = tf.tidy(() => tf.sum(tf.exp(lp), -1));
      for (const v of total.dataSync()) expect(v).toBeCloseTo(1, 5);
      const c = net.classify(p, x);
      expect(c.dtype).toBe('int32');
      expect(c.shape).toEqual([3]);
      tf.dispose([x, z, flat, z2, f, lp, total, c]);
      disposeParams(p);
    });
  });

  it('throws ShapeError naming the network and both shapes; ValueError on bad options', () => {
    const net = classifier({ channels: [2], hidden: 4, kernel: 3 });
    const p = net.init(key(0), [8, 8, 1]);
    const bad = tf.zeros([2, 8, 8, 3]);
    expect(() => net.apply(p, bad)).toThrow(ShapeError);
    expect(() => net.apply(p, bad)).toThrow(
      /classifier\[conv 2, k3, 4 → 10, swish\]\.apply: input 'x' must have shape \[B, 8, 8, 1\], got \[2, 8, 8, 3\]/,
    );
    expect(() => classifier({ kernel: 4 })).toThrow(ValueError);
    expect(() => net.init(key(0), [7, 8, 1])).toThrow(/divisible by 2/);
    bad.dispose();
    disposeParams(p);
  });

  it('is differentiable in its input (classifier guidance) without leaks', async () => {
    await expectNoLeak(() => {
      const net = classifier({ channels: [2], hidden: 4, kernel: 3 });
      const p = net.init(key(0), [8, 8, 1]);
      const x = normal(key(2), [2, 8, 8, 1]);
      const g = inputGrad((u) => tf.slice(net.logProbs(p, u), [0, 3], [-1, 1]))(x);
      expect(g.shape).toEqual([2, 8, 8, 1]);
      tf.dispose([x, g]);
      disposeParams(p);
    });
  });

  const weights = fileURLToPath(mnistClassifierWeightsUrl());
  it.skipIf(!existsSync(weights) || dataDir === undefined)(
    'the bundled MNIST weights load from the file and classify ≥ 97.5 % of the first 2000 test digits',
    async () => {
      const n = 2000;
      const { x, y } = mnistTest(n);
      const clf = await loadMnistClassifier();
      expect(clf.net.name).toBe(mnistClassifier.name);
      expect(Number(clf.metadata['testAccuracy'])).toBeGreaterThanOrEqual(0.98);
      const correct = await expectNoLeak(() => {
        const xt = tf.tensor2d(x, [n, 784]);
        const pred = clf.classify(xt);
        const p = pred.dataSync();
        tf.dispose([xt, pred]);
        let c = 0;
        for (let i = 0; i < n; i++) if (p[i] === y[i]) c++;
        return c;
      });
      console.info(`bundled MNIST classifier: ${((100 * correct) / n).toFixed(2)} % on the first ${n} test digits`);
      expect(correct / n).toBeGreaterThanOrEqual(0.975);
      // The same accuracy as measured by the training run (wasm there; ±2 digits across backends).
      expect(Math.abs(correct / n - Number(clf.metadata['testAccuracyFirst2000']))).toBeLessThanOrEqual(0.001);
      // The same bytes through the browser path give the same logits.
      const clf2 = mnistClassifierFromBytes(new Uint8Array(readFileSync(weights)));
      await expectNoLeak(() => {
        const xt = tf.tensor2d(x.subarray(0, 784 * 8), [8, 784]);
        const a = clf.logits(xt);
        const b = clf2.logits(xt);
        const f = clf2.features(xt);
        expect(f.shape).toEqual([8, 64]);
        expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
        tf.dispose([xt, a, b, f]);
      });
      clf.dispose();
      clf2.dispose();
      const z0 = tf.zeros([1, 784]);
      expect(() => clf.classify(z0)).toThrow(/disposed/);
      z0.dispose();
    },
  );
});
