import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak, relError } from '@walkjump/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputGrad, useBackend } from '../index.ts';

// Every replacement kernel is checked against the cpu backend's stock kernels on the same inputs.
const TOL = 1e-5;

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(rand(size(shape), seed), shape);

/** Runs `fn` on wasm and on cpu (each in a tidy), returning the values of its outputs on both. */
async function onBoth(fn: () => tf.Tensor[]): Promise<{ wasm: Float32Array[]; cpu: Float32Array[] }> {
  const run = async (name: string): Promise<Float32Array[]> => {
    await tf.setBackend(name);
    return expectNoLeak(() =>
      tf.tidy(() => fn().map((o) => o.dataSync() as Float32Array)),
    );
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  return { wasm, cpu };
}

async function expectSame(fn: () => tf.Tensor[]): Promise<void> {
  const { wasm, cpu } = await onBoth(fn);
  expect(wasm.length).toBe(cpu.length);
  for (let i = 0; i < wasm.length; i++) {
    const w = wasm[i] as Float32Array;
    const c = cpu[i] as Float32Array;
    expect(w.length).toBe(c.length);
    expect(c.some((v) => v !== 0), 'reference is all zeros').toBe(true);
    expect(relError(w, c)).toBeLessThanOrEqual(TOL);
  }
}

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
const convCases: Array<{ x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad }> = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: 'valid' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 5], s: 2, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 5], s: 2, pad: 'valid' },
  { x: [2, 9, 9, 2], f: [3, 3, 2, 4], s: 2, pad: 'same' },
  { x: [2, 9, 9, 2], f: [3, 3, 2, 4], s: 2, pad: 'valid' },
  { x: [3, 10, 7, 4], f: [5, 2, 4, 3], s: [2, 1], pad: 'same' },
  { x: [1, 11, 12, 2], f: [4, 3, 2, 6], s: 3, pad: 'valid' },
  { x: [2, 6, 6, 1], f: [3, 3, 1, 16], s: 1, pad: 'same' },
  {
    x: [2, 8, 8, 3],
    f: [3, 3, 3, 2],
    s: 2,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  // Polyphase Conv2DBackpropInput: strides 1–3 and mixed, phases with fewer (or no) taps, padding
  // wider than the filter, odd sizes, and the benchmark's stride-2 layer.
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 3, pad: 'same' },
  { x: [2, 10, 9, 3], f: [3, 3, 3, 4], s: [2, 1], pad: 'valid' },
  { x: [2, 9, 10, 2], f: [2, 5, 2, 3], s: [1, 2], pad: 'same' },
  { x: [2, 11, 10, 2], f: [2, 2, 2, 3], s: 3, pad: 'valid' },
  { x: [2, 7, 8, 3], f: [1, 1, 3, 4], s: 2, pad: 'same' },
  { x: [1, 13, 11, 3], f: [5, 4, 3, 2], s: 3, pad: 'same' },
  { x: [2, 7, 9, 2], f: [3, 3, 2, 3], s: 1, pad: 'valid' },
  {
    x: [2, 7, 7, 2],
    f: [3, 3, 2, 3],
    s: 2,
    pad: [
      [0, 0],
      [3, 1],
      [2, 4],
      [0, 0],
    ],
  },
  {
    x: [2, 6, 7, 2],
    f: [3, 2, 2, 3],
    s: 1,
    pad: [
      [0, 0],
      [4, 0],
      [0, 3],
      [0, 0],
    ],
  },
  { x: [3, 28, 28, 16], f: [3, 3, 16, 32], s: 2, pad: 'same' },
  // Conv2DBackpropFilter by im2col + matmul (kh·kw·inC small): both matmul orientations, strides,
  // explicit padding, and the benchmark's first layer.
  { x: [2, 9, 9, 1], f: [3, 3, 1, 8], s: 2, pad: 'same' },
  { x: [2, 10, 9, 1], f: [3, 3, 1, 16], s: [2, 1], pad: 'valid' },
  {
    x: [2, 11, 11, 1],
    f: [2, 3, 1, 16],
    s: 3,
    pad: [
      [0, 0],
      [1, 2],
      [3, 0],
      [0, 0],
    ],
  },
  { x: [2, 7, 8, 2], f: [2, 2, 2, 8], s: 1, pad: 'same' },
  { x: [3, 28, 28, 1], f: [3, 3, 1, 16], s: 1, pad: 'same' },
];

const label = (c: (typeof convCases)[number]): string =>
  `x ${c.x.join('×')}, filter ${c.f.join('×')}, stride ${String(c.s)}, pad ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad)}`;

describe('wasm kernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(async () => {
    await useBackend('wasm');
  });

  it('registers Conv2DBackpropFilter for wasm', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const c of convCases) {
    it(`Conv2DBackpropFilter equals cpu: ${label(c)}`, async () => {
      const outShape = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad).outShape;
      await expectSame(() => [
        tf.engine().runKernel('Conv2DBackpropFilter', { x: t(c.x, 1), dy: t(outShape, 2) }, { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f } as unknown as tf.NamedAttrMap) as tf.Tensor,
      ]);
    });

    it(`Conv2DBackpropInput equals cpu: ${label(c)}`, async () => {
      const outShape = tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, 1, c.pad).outShape;
      await expectSame(() => [
        tf.engine().runKernel('Conv2DBackpropInput', { dy: t(outShape, 3), filter: t(c.f, 4) }, { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor,
      ]);
    });
  }

  it('Conv2D gradients (x and filter) equal cpu through tf.grads, stride 2 same', async () => {
    await expectSame(() => {
      const x = t([2, 9, 9, 3], 5);
      const w = t([3, 3, 3, 4], 6);
      const u = t([2, 5, 5, 4], 7);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), u)))([x, w]);
    });
  });

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`BatchMatMul equals cpu: transposeA ${ta}, transposeB ${tb}, rank 2 and batched`, async () => {
      await expectSame(() => [
        tf.matMul(t(ta ? [7, 5] : [5, 7], 8), t(tb ? [6, 7] : [7, 6], 9), ta, tb),
        tf.matMul(t(ta ? [3, 7, 5] : [3, 5, 7], 10), t(tb ? [3, 6, 7] : [3, 7, 6], 11), ta, tb),
        tf.matMul(t(ta ? [3, 7, 5] : [3, 5, 7], 12), t(tb ? [1, 6, 7] : [1, 7, 6], 13), ta, tb),
      ]);
    });
  }

  it('SplitV (tf.split, and the gradient of tf.concat) equals cpu for even and uneven splits on every axis', async () => {
    await expectSame(() => {
      const x = t([2, 5, 6, 4], 21);
      const outs: tf.Tensor[] = [];
      for (let axis = 0; axis < 4; axis++) outs.push(...tf.split(x, axis === 1 ? [2, -1, 1] : 2, axis));
      outs.push(...tf.split(x, [1, 3], -1));
      const a = t([3, 4], 22);
      const b = t([3, 2], 23);
      const w = t([3, 6], 24);
      outs.push(...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.sin(tf.concat([p, q], 1)), w)))([a, b]));
      return outs;
    });
  });

  it('OneHot gives the requested dtype and on/off values (the stock wasm kernel wrote int bits into float32)', async () => {
    const idx = [0, 2, 1, 5, -1];
    const cases: Array<[number, number, 'float32' | 'int32']> = [
      [1, 0, 'int32'],
      [1, 0, 'float32'],
      [0.5, -1, 'float32'],
      [7, 2, 'int32'],
    ];
    for (const [on, off, dtype] of cases) {
      const out = tf.tidy(() => tf.oneHot(tf.tensor1d(idx, 'int32'), 4, on, off, dtype));
      expect(out.dtype).toBe(dtype);
      expect(out.shape).toEqual([5, 4]);
      const want = idx.flatMap((i) => [0, 1, 2, 3].map((j) => (i === j ? on : off)));
      expect(Array.from(await out.data())).toEqual(want);
      out.dispose();
    }
    const two = tf.tidy(() => tf.oneHot(tf.tensor2d([[0, 1], [2, 3]], [2, 2], 'int32'), 4, 1, 0, 'float32'));
    expect(two.shape).toEqual([2, 2, 4]);
    expect(Array.from(await two.data())).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    two.dispose();
  });

  it('second order: the DEEN parameter gradient of a small conv energy on wasm equals cpu', async () => {
    // E(y) = w3 · swish(conv(swish(conv(y, k1, 1, same)), k2, 2, same)); the θ-gradient of
    // ‖x − y + σ² ∇_y E‖² flows through Conv2DBackpropInput's gradient (Conv2D and
    // Conv2DBackpropFilter) and Conv2DBackpropFilter's gradient, and BatchMatMul with transposes.
    const sigma = 0.3;
    await expectSame(() => {
      const x = t([3, 8, 8, 1], 20);
      const y = tf.add(x, tf.mul(t([3, 8, 8, 1], 21), 2 * sigma));
      const k1 = tf.mul(t([3, 3, 1, 4], 22), 2);
      const k2 = tf.mul(t([3, 3, 4, 6], 23), 1);
      const w3 = t([4 * 4 * 6, 1], 24);
      const swish = (z: tf.Tensor): tf.Tensor => tf.mul(z, tf.sigmoid(z));
      const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar => {
        const energy = (z: tf.Tensor): tf.Tensor => {
          const h1 = swish(tf.conv2d(z as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'));
          const h2 = swish(tf.conv2d(h1 as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'));
          return tf.reshape(tf.matMul(tf.reshape(h2, [3, -1]) as tf.Tensor2D, c as tf.Tensor2D), [-1]);
        };
        const g = inputGrad(energy)(y);
        return tf.mean(tf.sum(tf.reshape(tf.square(tf.add(tf.sub(x, y), tf.mul(g, sigma * sigma))), [3, -1]), 1)) as tf.Scalar;
      };
      return tf.grads(loss)([k1, k2, w3]);
    });
  });
});
