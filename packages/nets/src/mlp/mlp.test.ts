import * as tf from '@tensorflow/tfjs-core';
import { key, normal, type Params, ShapeError, ValueError } from '@walkjump/tensor';
import { expectNoLeak, finiteDiffGrad, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import type { Activation } from '../core/layers.ts';
import { secondOrderCheck, worstError } from '../__tests__/second-order.ts';
import { loadParams, saveParams } from '../io/io.ts';
import { spectralNormEstimate } from '../core/spectral.ts';
import { disposeParams, type MlpParams, mlp, paramCount } from './mlp.ts';

// A float64 reference forward pass of the same MLP, for finite differences.
const phi64: Record<Activation, (x: number) => number> = {
  swish: (x) => x / (1 + Math.exp(-x)),
  softplus: (x) => Math.log1p(Math.exp(x)),
  tanh: Math.tanh,
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
  gelu: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
};

interface Flat {
  ws: { w: Float64Array; b: Float64Array; nIn: number; nOut: number }[];
}
const flatten = (p: MlpParams): Flat => ({
  ws: p.layers.map((l) => ({
    w: Float64Array.from(l.w.dataSync()),
    b: Float64Array.from(l.b.dataSync()),
    nIn: l.w.shape[0],
    nOut: l.w.shape[1],
  })),
});
const forward64 = (f: Flat, act: Activation, x: ArrayLike<number>): number => {
  let h = Array.from(x);
  f.ws.forEach((l, li) => {
    const o = new Array<number>(l.nOut).fill(0);
    for (let j = 0; j < l.nOut; j++) {
      let s = l.b[j]!;
      for (let i = 0; i < l.nIn; i++) s += h[i]! * l.w[i * l.nOut + j]!;
      o[j] = li < f.ws.length - 1 ? phi64[act](s) : s;
    }
    h = o;
  });
  return h[0]!;
};

describe('mlp', () => {
  it('has the documented shapes and parameter count', async () => {
    await expectNoLeak(() => {
      const net = mlp({ widths: [64, 64], activation: 'swish' });
      const params = net.init(key(0), [2]);
      expect(paramCount(params)).toBe(2 * 64 + 64 + 64 * 64 + 64 + 64 + 1);
      const y = normal(key(1), [5, 2]);
      const e = net.apply(params, y);
      expect(e.shape).toEqual([5]);
      const net3 = mlp({ widths: [8], outDim: 3 });
      const p3 = net3.init(key(2), [2, 2]);
      const x3 = normal(key(3), [4, 2, 2]);
      const out = net3.apply(p3, x3);
      expect(out.shape).toEqual([4, 3]);
      disposeParams([params, p3]);
      tf.dispose([y, e, x3, out]);
    });
  });

  it('is deterministic in the key and zeroLastLayer gives a flat energy', async () => {
    await expectNoLeak(() => {
      const net = mlp({ widths: [4], zeroLastLayer: true });
      const a = net.init(key(7), [3]);
      const b = net.init(key(7), [3]);
      expect(Array.from(a.layers[0]!.w.dataSync())).toEqual(Array.from(b.layers[0]!.w.dataSync()));
      const x = tf.ones([2, 3]);
      const e = net.apply(a, x);
      expect(Array.from(e.dataSync())).toEqual([0, 0]);
      disposeParams([a, b]);
      tf.dispose([x, e]);
    });
  });

  it('throws a ShapeError naming the network and both shapes', () => {
    const net = mlp({ widths: [4] });
    const p = net.init(key(0), [2]);
    const bad = tf.ones([3, 5]);
    expect(() => net.apply(p, bad)).toThrow(ShapeError);
    expect(() => net.apply(p, bad)).toThrow(
      /mlp\[4, → 1, swish\]\.apply: input 'x' must have shape \[B, 2\].*got \[3, 5\]/,
    );
    expect(() => mlp({ widths: [0] })).toThrow(ValueError);
    expect(() => mlp({ widths: [4], activation: 'relu' as Activation })).toThrow(ValueError);
    disposeParams(p);
    bad.dispose();
  });

  for (const act of ['swish', 'softplus', 'tanh', 'elu', 'gelu'] as const) {
    it(`input and parameter gradients match finite differences (${act})`, async () => {
      await expectNoLeak(() => {
        const net = mlp({ widths: [5, 4], activation: act });
        const params = net.init(key(11), [3]);
        const x0 = [0.3, -0.7, 1.1];
        const x = tf.tensor2d([x0]);
        const f = flatten(params);
        const gx = tf.grad((z: tf.Tensor) => tf.sum(net.apply(params, z)))(x);
        const fd = finiteDiffGrad((v) => forward64(f, act, v), x0, 1e-5);
        expect(relError(gx.dataSync(), fd)).toBeLessThan(2e-3);
        // d/dW1 of the output, against finite differences in the float64 reference
        const w1 = params.layers[0]!.w;
        const gw = tf.grad((w: tf.Tensor) =>
          tf.sum(
            net.apply({ layers: [{ w: w as tf.Tensor2D, b: params.layers[0]!.b }, ...params.layers.slice(1)] }, x),
          ),
        )(w1);
        const fdw = finiteDiffGrad(
          (v) => forward64({ ws: [{ ...f.ws[0]!, w: v }, ...f.ws.slice(1)] }, act, x0),
          f.ws[0]!.w,
          1e-5,
        );
        expect(relError(gw.dataSync(), fdw)).toBeLessThan(2e-3);
        disposeParams(params);
        tf.dispose([x, gx, gw]);
      });
    });
  }

  for (const act of ['swish', 'softplus', 'tanh', 'elu', 'gelu'] as const) {
    it(`second order: ∂/∂θ of ⟨∇_x E, v⟩ matches finite differences of the input gradient (${act})`, async () => {
      await expectNoLeak(() => {
        const net = mlp({ widths: [3], activation: act });
        const params = net.init(key(5), [2]);
        const x0 = [0.4, -0.9];
        const v = [0.7, -1.3];
        const x = tf.tensor2d([x0]);
        const vt = tf.tensor2d([v]);
        const f = flatten(params);
        const w1 = params.layers[0]!.w;
        // g(W1) = ⟨∇_x E(x; W1), v⟩, then its gradient in W1 by autodiff (reverse over reverse)
        const gw = tf.grad((w: tf.Tensor) => {
          const p: MlpParams = { layers: [{ w: w as tf.Tensor2D, b: params.layers[0]!.b }, ...params.layers.slice(1)] };
          const gx = tf.grad((z: tf.Tensor) => tf.sum(net.apply(p, z)))(x);
          return tf.sum(tf.mul(gx, vt));
        })(w1);
        // the same by finite differences in W1 of a float64 finite-difference input gradient
        const inner = (w: Float64Array): number => {
          const fw: Flat = { ws: [{ ...f.ws[0]!, w }, ...f.ws.slice(1)] };
          const g = finiteDiffGrad((z) => forward64(fw, act, z), x0, 1e-4);
          return g[0]! * v[0]! + g[1]! * v[1]!;
        };
        const fd = finiteDiffGrad(inner, f.ws[0]!.w, 1e-3);
        expect(relError(gw.dataSync(), fd)).toBeLessThan(5e-3);
        disposeParams(params);
        tf.dispose([x, vt, gw]);
      });
    });
  }
});

describe('mlp with spectral normalization', () => {
  it('σ(W) by power iteration matches the largest singular value; u is stored per layer', async () => {
    await expectNoLeak(() => {
      const net = mlp({ widths: [6], spectralNorm: { iterations: 60 } });
      const p = net.init(key(21), [4]);
      expect(p.layers[0]!.u!.shape).toEqual([6]);
      const w = p.layers[0]!.w;
      const sigma = spectralNormEstimate(w, p.layers[0]!.u!, 60);
      // Largest eigenvalue of WᵀW by many float64 power iterations.
      const W = Array.from(w.dataSync());
      const [n, m] = w.shape;
      let u = new Float64Array(m).fill(1);
      let lam = 0;
      for (let it = 0; it < 2000; it++) {
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) v[i]! += W[i * m + j]! * u[j]!;
        const u2 = new Float64Array(m);
        for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) u2[j]! += W[i * m + j]! * v[i]!;
        lam = Math.sqrt(u2.reduce((a, b) => a + b * b, 0));
        u = u2.map((x) => x / lam);
      }
      expect(Math.abs(sigma.dataSync()[0]! - Math.sqrt(lam)) / Math.sqrt(lam)).toBeLessThan(1e-4);
      sigma.dispose();
      disposeParams(p);
    });
  });

  it('an affine spectrally normalized map is 1-Lipschitz (‖W/σ‖₂ = 1)', async () => {
    await expectNoLeak(() => {
      const net = mlp({ widths: [], outDim: 5, spectralNorm: { iterations: 100 } });
      const p = net.init(key(3), [7]);
      const x = normal(key(4), [64, 7]);
      const x2 = normal(key(5), [64, 7]);
      const ratio = tf.tidy(() => {
        const d = tf.sub(net.apply(p, x), net.apply(p, x2));
        return tf
          .max(tf.div(tf.sqrt(tf.sum(tf.square(d), 1)), tf.sqrt(tf.sum(tf.square(tf.sub(x, x2)), 1))))
          .dataSync()[0]!;
      });
      expect(ratio).toBeLessThanOrEqual(1 + 1e-4);
      expect(ratio).toBeGreaterThan(0.3);
      tf.dispose([x, x2]);
      disposeParams(p);
    });
  });

  it('second order through the normalization matches finite differences (u held fixed)', async () => {
    const rows = await expectNoLeak(() => {
      const net = mlp({ widths: [5], activation: 'swish', spectralNorm: { iterations: 30 } });
      const p = net.init(key(9), [3]);
      const x = normal(key(10), [4, 3]);
      const r = secondOrderCheck(
        (q, z) => net.apply(q as MlpParams, z),
        p as Params,
        x,
        key(11),
        1e-2,
        (n) => !n.endsWith('.u'),
      );
      tf.dispose(x);
      disposeParams(p);
      return r;
    });
    expect(rows.length).toBe(4);
    console.info(
      `second-order check, worst relative error ${worstError(rows).toExponential(2)} over ${rows.length} leaves`,
    );
    expect(worstError(rows)).toBeLessThan(2e-2);
  });

  it('validates spectralNorm options and a missing u', () => {
    expect(() => mlp({ widths: [2], spectralNorm: { iterations: 0 } })).toThrow(ValueError);
    const sn = mlp({ widths: [2], spectralNorm: true });
    const plain = mlp({ widths: [2] });
    const p = plain.init(key(0), [2]);
    const x = tf.zeros([1, 2]);
    expect(() => sn.apply(p, x)).toThrow(/spectral-norm vector u/);
    x.dispose();
    disposeParams(p);
  });
});

describe('saveParams / loadParams', () => {
  it('round-trips an mlp through a safetensors file bit for bit; a mismatched template throws', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'nets-io-'));
    try {
      const net = mlp({ widths: [4, 3], spectralNorm: true });
      const p = net.init(key(1), [2]);
      await saveParams(join(dir, 'p.safetensors'), p, { note: 'test' });
      const q = await loadParams(join(dir, 'p.safetensors'), p);
      const x = normal(key(2), [5, 2]);
      const a = net.apply(p, x);
      const b = net.apply(q, x);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      const other = mlp({ widths: [4, 4] }).init(key(0), [2]);
      const before = tf.memory().numTensors;
      await expect(loadParams(join(dir, 'p.safetensors'), other)).rejects.toThrow(ShapeError);
      expect(tf.memory().numTensors).toBe(before);
      await expect(loadParams(join(dir, 'missing.safetensors'), p)).rejects.toThrow(/cannot read/);
      tf.dispose([x, a, b]);
      disposeParams([p, q, other]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mlp with time/noise conditioning', () => {
  it('s(y, t): output [B, d], depends on t, second order matches finite differences', async () => {
    const rows = await expectNoLeak(() => {
      const net = mlp({ widths: [8, 8], outDim: 2, conditioning: { embedding: 'fourier', dim: 6, scale: 1 } });
      const p = net.init(key(1), [2]);
      expect(p.cond!.length).toBe(2);
      const y = normal(key(2), [5, 2]);
      const a = net.apply(p, y, 0.2);
      const b = net.apply(p, y, 0.8);
      expect(a.shape).toEqual([5, 2]);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)).toBeGreaterThan(1e-4);
      const t = tf.tensor1d([0.1, 0.2, 0.3, 0.4, 0.5]);
      const w = normal(key(3), [5, 2]);
      const r = secondOrderCheck(
        (q, z) => tf.sum(tf.mul(net.apply(q as MlpParams, z, t), w), 1),
        p as Params,
        y,
        key(4),
      );
      tf.dispose([y, a, b, t, w]);
      disposeParams(p);
      return r;
    });
    expect(worstError(rows)).toBeLessThan(2e-2);
  });

  it('validates cond', () => {
    const net = mlp({ widths: [4], conditioning: true });
    const plain = mlp({ widths: [4] });
    const p = net.init(key(0), [2]);
    const q = plain.init(key(0), [2]);
    const x = tf.zeros([3, 2]);
    const c2 = tf.zeros([2]);
    expect(() => net.apply(p, x)).toThrow(ValueError);
    expect(() => net.apply(p, x, c2)).toThrow(/'cond' must have shape \[3\]/);
    expect(() => plain.apply(q, x, 0.5)).toThrow(/unconditioned/);
    expect(() => net.apply(q, x, 0.5)).toThrow(/lack the conditioning/);
    tf.dispose([x, c2]);
    disposeParams([p, q]);
  });
});
