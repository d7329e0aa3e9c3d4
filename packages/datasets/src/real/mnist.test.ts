import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { isDataError, key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { binarize, toTensor } from './arrays.ts';
import { binarizedMnist, fashionMnist, mnist } from './mnist.ts';

// The shared data folder sits next to the repository root (../shared/data).
const SHARED = fileURLToPath(new URL('../../../../../shared/data', import.meta.url));
const HAVE = existsSync(join(SHARED, 'mnist'));
if (!HAVE) console.warn(`[datasets] skipping real-data tests: ${SHARED} not found`);
const loc = { dir: SHARED, download: false } as const;

const counts = (labels: Int32Array): number[] => {
  const c = new Array<number>(10).fill(0);
  for (const l of labels) c[l]!++;
  return c;
};

describe.skipIf(!HAVE)('MNIST from ../shared/data', () => {
  it('train: 60 000 images in [0, 1] and the README label counts, in under 2 s', async () => {
    const t0 = performance.now();
    const { images, labels } = await mnist({ ...loc, split: 'train' });
    const ms = performance.now() - t0;
    console.log(`[datasets] mnist train loaded in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(2000 * 2.5); // generous: the machine is shared; the report gives the real time
    expect(images.shape).toEqual([60000, 28, 28]);
    expect(images.data.length).toBe(60000 * 784);
    expect(labels!.shape).toEqual([60000]);
    expect(counts(labels!.data)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    let lo = 1;
    let hi = 0;
    let sum = 0;
    for (const v of images.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v;
    }
    expect([lo, hi]).toEqual([0, 1]);
    // Known MNIST train pixel mean 0.1307 (the usual normalization constant).
    expect(sum / images.data.length).toBeCloseTo(0.1307, 4);
    expect(labels!.data[0]).toBe(5);
  });
  it('test: 10 000 images, label counts sum to 10 000', async () => {
    const { images, labels } = await mnist({ ...loc, split: 'test' });
    expect(images.shape).toEqual([10000, 28, 28]);
    expect(counts(labels!.data)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    await expectNoLeak(() => {
      const t = toTensor(images);
      expect(t.shape).toEqual([10000, 28, 28]);
      expect(t.dtype).toBe('float32');
      const l = toTensor(labels!);
      expect(l.dtype).toBe('int32');
      tf.dispose([t, l]);
    });
  });
  it('binarized MNIST: the standard 50k/10k/10k split with values in {0, 1}', async () => {
    const sizes: number[] = [];
    for (const split of ['train', 'valid', 'test'] as const) {
      const { images, labels } = await binarizedMnist({ ...loc, split });
      expect(labels).toBeUndefined();
      sizes.push(images.shape[0]!);
      let other = 0;
      for (let i = 0; i < images.data.length; i++) if (images.data[i] !== 0 && images.data[i] !== 1) other++;
      expect(other).toBe(0);
    }
    expect(sizes).toEqual([50000, 10000, 10000]);
  });
  it('Fashion-MNIST images are absent from the shared data: a DataError naming the file', async () => {
    const e = await fashionMnist({ ...loc, split: 'test' }).catch((x: Error) => x);
    expect(isDataError(e)).toBe(true);
    expect((e as Error).message).toMatch(/fashion-mnist\/t10k-images-idx3-ubyte\.gz: file not found/);
  });
  it('dynamic binarization: Bernoulli(intensity), same key same result, array and tensor agree', async () => {
    const { images: all } = await mnist({ ...loc, split: 'test' });
    // 2000 images = 1.57M pixels: two randomness chunks of 2^20.
    const images = { data: all.data.subarray(0, 2000 * 784), shape: [2000, 28, 28] };
    const a = binarize(key(3), images);
    const t0 = performance.now();
    const b = binarize(key(3), images);
    console.log(`[datasets] binarize 2000x784 in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(Buffer.compare(Buffer.from(a.data.buffer), Buffer.from(b.data.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.data.buffer), Buffer.from(binarize(key(4), images).data.buffer))).not.toBe(0);
    let ones = 0;
    let mean = 0;
    let other = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (a.data[i] !== 0 && a.data[i] !== 1) other++;
      ones += a.data[i]!;
      mean += images.data[i]!;
    }
    expect(other).toBe(0);
    // E[#ones] = Σ p, Var = Σ p(1−p) ≤ Σ p: 5 standard errors.
    expect(Math.abs(ones - mean)).toBeLessThan(5 * Math.sqrt(mean));
    const first = { data: images.data.subarray(0, 2 * 784), shape: [2, 28, 28] };
    await expectNoLeak(() => {
      const t = tf.tensor(first.data, [2, 28, 28]);
      const bt = binarize(key(3), t);
      expect(Array.from(bt.dataSync())).toEqual(Array.from(binarize(key(3), first).data));
      tf.dispose([t, bt]);
    });
  });
});

describe.skipIf(!HAVE)('corrupted files give a DataError naming the file and the problem', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wj-mnist-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const put = (name: string, bytes: Uint8Array): void => {
    mkdirSync(join(tmp, 'mnist'), { recursive: true });
    writeFileSync(join(tmp, 'mnist', name), bytes);
  };
  it('truncated gzip file', async () => {
    const src = readFileSync(join(SHARED, 'mnist', 't10k-labels-idx1-ubyte.gz'));
    put('t10k-labels-idx1-ubyte.gz', src.subarray(0, 3000));
    const e = await mnist({ dir: tmp, download: false, split: 'test' }).catch((x: Error) => x);
    expect(isDataError(e)).toBe(true);
    expect((e as Error).message).toContain(join(tmp, 'mnist', 't10k-labels-idx1-ubyte.gz'));
    expect((e as Error).message).toMatch(/gzip stream is corrupt or truncated/);
  });
  it('uncompressed file with a truncated body', async () => {
    const { gunzipSync } = await import('node:zlib');
    const raw = gunzipSync(readFileSync(join(SHARED, 'mnist', 't10k-labels-idx1-ubyte.gz')));
    put('t10k-labels-idx1-ubyte.gz', raw.subarray(0, raw.length - 100));
    const e = await mnist({ dir: tmp, download: false, split: 'test' }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(
      /t10k-labels-idx1-ubyte\.gz: truncated IDX body: 9900 bytes of data, expected 10000/,
    );
  });
  it('labels out of range and checksum verification', async () => {
    const { gunzipSync } = await import('node:zlib');
    const raw = Uint8Array.from(gunzipSync(readFileSync(join(SHARED, 'mnist', 't10k-labels-idx1-ubyte.gz'))));
    raw[8 + 17] = 12;
    put('t10k-labels-idx1-ubyte.gz', raw);
    const e = await mnist({ dir: tmp, download: false, split: 'test' }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/label 12 at index 17 is outside 0…9/);
    const e2 = await mnist({ dir: tmp, download: false, split: 'test', verify: true }).catch((x: Error) => x);
    expect(isDataError(e2)).toBe(true);
    expect((e2 as Error).message).toMatch(
      /t10k-labels-idx1-ubyte\.gz: checksum mismatch: size 10008 bytes, expected 4542/,
    );
  });
});
