import * as tf from '@tensorflow/tfjs-core';
import { key, normal, ShapeError, split, ValueError } from '@walkjump/tensor';
import type { Key } from '@walkjump/tensor';
import { expectNoLeak, meanAndSE, relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { gaussianMDensity } from '../references/m-density.ts';
import {
  mdaeLoss,
  mdaeScore,
  mdsmLoss,
  mem2Energy,
  mem2Loss,
  multimeasurementLoss,
  multimeasurementNoise,
  muvbEnergy,
  muvbLoss,
} from './multimeasurement.ts';

const mu = [0.3, -0.4, 1, 0];
const sigma0 = 1.2;
const sig = [0.5, 1, 1.5];
const d = 4;

// X ~ N(μ, σ₀²I): the posterior variance is 1/P per coordinate, P = σ₀⁻² + Σσ_m⁻²
const P = 1 / sigma0 ** 2 + sig.reduce((a, s) => a + 1 / (s * s), 0);

describe('multimeasurement losses (Saremi & Srivastava 2022)', () => {
  it('NEB loss (eq. 14) of the exact M-density has mean d/P (the Bayes risk), energy or score', async () => {
    await expectNoLeak(() => {
      const md = gaussianMDensity({ mu, sigma0, sigma: sig });
      const [kx, kl] = split(key(1), 2) as [Key, Key];
      const x = tf.tidy(() => tf.add(normal(kx, [8000, d], { std: sigma0 }), tf.tensor1d(mu)));
      const le = multimeasurementLoss(kl, { energy: md.energy }, x, { sigma: sig });
      const ls = multimeasurementLoss(kl, { score: md.score }, x, { sigma: sig });
      expect(le.shape).toEqual([8000]);
      expect(relError(le.dataSync(), ls.dataSync())).toBeLessThan(1e-4);
      const { mean, se } = meanAndSE(le.dataSync());
      expect(Math.abs(mean - d / P)).toBeLessThan(4 * se);
      // MDSM (eq. 16) of the exact score: Σ_m d/(P σ_m⁴)
      const lj = mdsmLoss(kl, { score: md.score }, x, { sigma: sig });
      const mj = meanAndSE(lj.dataSync());
      const want = sig.reduce((a, s) => a + d / (P * s ** 4), 0);
      expect(Math.abs(mj.mean - want)).toBeLessThan(4 * mj.se);
      // MDAE (eq. 19) with ν_m = the exact x̂ for every m is the same per-sample loss (eq. 20)
      const nu = (y: tf.Tensor) => tf.tidy(() => tf.tile(tf.expandDims(md.denoiser(y), 1), [1, 3, 1]));
      const la = mdaeLoss(kl, nu, x, { sigma: sig });
      expect(relError(la.dataSync(), le.dataSync())).toBeLessThan(1e-4);
      // and eq. 18's score of that ν is the exact score
      const y = multimeasurementNoise(kl, x, { sigma: sig });
      const g = mdaeScore(nu, sig)(y);
      const s = md.score(y);
      expect(relError(g.dataSync(), s.dataSync())).toBeLessThan(1e-4);
      tf.dispose([x, le, ls, lj, la, y, g, s]);
    });
  });

  it('for σ ⊗ M, MDSM = Mσ⁻⁴ × NEB per sample; M = 1 NEB is the DEEN loss', async () => {
    await expectNoLeak(() => {
      const sigma = 0.7;
      const M = 4;
      const x = normal(key(2), [64, 3]);
      const energy = (y: tf.Tensor) =>
        tf.tidy(() => tf.sum(tf.reshape(tf.mul(tf.sin(y), tf.square(y)), [y.shape[0] as number, -1]), 1));
      const a = mdsmLoss(key(3), { energy }, x, { sigma, M });
      const b = multimeasurementLoss(key(3), { energy }, x, { sigma, M });
      const scaled = tf.tidy(() => tf.mul(b, M / sigma ** 4));
      expect(relError(a.dataSync(), scaled.dataSync())).toBeLessThan(1e-4);
      tf.dispose([x, a, b, scaled]);
    });
  });

  it('is double-backprop correct: gradient in θ of a quadratic energy matches the analytic one', async () => {
    await expectNoLeak(() => {
      // f(y) = ½a‖y‖² + b·Σy ⇒ x̂_m = y_m − σ_m²(a y_m + b); ∂ℓ/∂a = (2/M)Σ_m σ_m²⟨r_m, y_m⟩, r_m = x − x̂_m
      const x = normal(key(5), [32, d]);
      const a0 = tf.scalar(0.4);
      const b0 = tf.scalar(-0.2);
      const a = tf.variable(a0);
      const b = tf.variable(b0);
      const energy = (y: tf.Tensor) =>
        tf.tidy(() => {
          const B = y.shape[0] as number;
          const f = tf.reshape(y, [B, -1]);
          return tf.add(tf.mul(tf.sum(tf.square(f), 1), tf.mul(a, 0.5)), tf.mul(tf.sum(f, 1), b));
        });
      const { value, grads } = tf.variableGrads(
        () => tf.mean(multimeasurementLoss(key(6), { energy }, x, { sigma: sig })) as tf.Scalar,
        [a, b],
      );
      const expected = tf.tidy(() => {
        const y = multimeasurementNoise(key(6), x, { sigma: sig });
        const s2 = tf.tensor([0.25, 1, 2.25], [1, 3, 1]);
        const r = tf.sub(tf.expandDims(x, 1), tf.sub(y, tf.mul(s2, tf.add(tf.mul(y, a), b))));
        const ga = tf.div(tf.mean(tf.sum(tf.sum(tf.mul(tf.mul(r, y), s2), 2), 1)), 3 / 2);
        const gb = tf.div(tf.mean(tf.sum(tf.sum(tf.mul(r, s2), 2), 1)), 3 / 2);
        return tf.stack([ga, gb]);
      });
      const got = [grads[a.name]!.dataSync()[0]!, grads[b.name]!.dataSync()[0]!];
      expect(relError(got, expected.dataSync())).toBeLessThan(1e-4);
      tf.dispose([x, a0, b0, a, b, value, expected, ...Object.values(grads)]);
    });
  });

  it('MEM² energy (eq. 21) and loss; the metaencoder adds to the energy', async () => {
    await expectNoLeak(() => {
      const sigma = 0.8;
      const c = 0.3;
      const nu = (y: tf.Tensor) => tf.mul(y, c);
      const h = (y: tf.Tensor, v: tf.Tensor) =>
        tf.tidy(() => tf.sum(tf.reshape(tf.mul(y, v), [y.shape[0] as number, -1]), 1));
      const y = normal(key(7), [5, 2, 3]);
      const f = mem2Energy(nu, sigma, { M: 2 })(y);
      const fh = mem2Energy(nu, sigma, { M: 2, metaencoder: h })(y);
      const want = tf.tidy(() =>
        tf.div(tf.mul(tf.sum(tf.reshape(tf.square(y), [5, -1]), 1), (1 - c) ** 2), 2 * sigma * sigma),
      );
      const hv = tf.tidy(() => h(y, tf.mul(y, c)));
      expect(relError(f.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      const sum = tf.add(want, hv);
      expect(relError(fh.dataSync(), sum.dataSync())).toBeLessThan(1e-5);
      const x = normal(key(8), [16, 3]);
      const l1 = mem2Loss(key(9), nu, x, { sigma, M: 2, metaencoder: h });
      const l2 = multimeasurementLoss(key(9), { energy: mem2Energy(nu, sigma, { M: 2, metaencoder: h }) }, x, {
        sigma,
        M: 2,
      });
      expect(relError(l1.dataSync(), l2.dataSync())).toBeLessThan(1e-6);
      tf.dispose([y, f, fh, want, hv, sum, x, l1, l2]);
    });
  });

  it('MUVB energy (eq. 32): reparametrized reconstruction + closed-form KL; loss differentiable', async () => {
    await expectNoLeak(() => {
      const sigma = 1;
      const W0 = tf.tidy(() => tf.mul(normal(key(10), [6, 2]), 0.3));
      const V0 = tf.tidy(() => tf.mul(normal(key(11), [2, 6]), 0.3));
      const W = tf.variable(W0);
      const V = tf.variable(V0);
      const encoder = (y: tf.Tensor) => {
        const f = tf.reshape(y, [y.shape[0] as number, 6]);
        return { mean: tf.matMul(f, W), logVar: tf.fill([y.shape[0] as number, 2], -1) };
      };
      const decoder = (z: tf.Tensor) => tf.reshape(tf.matMul(z, V), [z.shape[0] as number, 2, 3]);
      const model = { encoder, decoder };
      const y = normal(key(12), [4, 2, 3]);
      const f = muvbEnergy(key(13), model, { sigma, M: 2 })(y);
      const want = tf.tidy(() => {
        const q = encoder(y);
        const xi = normal(key(13), [1, 4, 2]);
        const z = tf.add(q.mean, tf.mul(Math.exp(-0.5), tf.reshape(xi, [4, 2])));
        const rec = tf.div(tf.sum(tf.reshape(tf.square(tf.sub(y, decoder(z))), [4, -1]), 1), 2);
        const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(q.mean), Math.exp(-1)), 0), 1), 0.5);
        return tf.add(rec, tf.sub(kl, 0.5 * 2 * (1 - 1) + 0)); // ½Σ(μ² + e^{−1} − 1 + 1)
      });
      expect(relError(f.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      const x = normal(key(14), [8, 3]);
      const { value, grads } = tf.variableGrads(
        () => tf.mean(muvbLoss(key(15), model, x, { sigma, M: 2, samples: 2 })) as tf.Scalar,
        [W, V],
      );
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      expect(grads[W.name]!.dataSync().every((g) => Number.isFinite(g))).toBe(true);
      expect(grads[W.name]!.dataSync().some((g) => g !== 0)).toBe(true);
      tf.dispose([W0, V0, W, V, y, f, want, x, value, ...Object.values(grads)]);
    });
  });

  it('rejects bad input naming the argument', () => {
    const x = tf.ones([3, 2]);
    const e = (y: tf.Tensor) => tf.sum(tf.reshape(y, [y.shape[0] as number, -1]), 1);
    expect(() => multimeasurementLoss(key(0), { energy: e }, x, { sigma: 0 })).toThrow(
      /multimeasurementLoss: 'sigma' must be a positive number, got 0/,
    );
    expect(() => multimeasurementLoss(key(0), { energy: e }, x, { sigma: 1, M: 0 })).toThrow(
      /'M' must be an integer >= 1, got 0/,
    );
    expect(() => mdsmLoss(key(0), { energy: e }, x, { sigma: [1, 2], M: 3 })).toThrow(
      /'M' \(3\) must equal sigma.length \(2\)/,
    );
    const nan = tf.tensor2d([[1, Number.NaN]]);
    expect(() => mdaeLoss(key(0), (y) => y, nan, { sigma: 1 })).toThrow(/'x' contains NaN/);
    expect(() => mdaeLoss(key(0), (y) => tf.mean(y, 1), x, { sigma: 1, M: 2 })).toThrow(
      /'nu' must return shape \[3, 2, 2\], got \[3, 2\]/,
    );
    expect(() => multimeasurementLoss(key(0), { score: (y) => tf.mean(y, 1) }, x, { sigma: 1, M: 2 })).toThrow(
      ShapeError,
    );
    expect(() => multimeasurementLoss(key(0), {} as never, x, { sigma: 1 })).toThrow(ValueError);
    expect(() => multimeasurementLoss(key(0), { energy: (y) => y }, x, { sigma: 1 })).toThrow(
      /'energy' must return per-sample values \[3\]/,
    );
    tf.dispose([x, nan]);
  });
});
