import * as tf from '@tensorflow/tfjs-core';
import { key, normal } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import fx from '../__fixtures__/diagnostics.json' with { type: 'json' };
import { normalQuantile } from './chains.ts';
import {
  autocorrelation,
  essBulk,
  essMean,
  essPerGradient,
  essPerSecond,
  essTail,
  integratedAutocorrTime,
  mcse,
  rhat,
} from './ess.ts';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/** AR(1) chain x_t = ρ x_{t−1} + ε_t started in stationarity, from float32 normals. */
function ar1(seed: number, rho: number, n: number): Float64Array {
  const e = tf.tidy(() => normal(key(seed), [n + 1]).dataSync());
  const x = new Float64Array(n);
  let v = e[0]! / Math.sqrt(1 - rho * rho);
  for (let t = 0; t < n; t++) {
    v = rho * v + e[t + 1]!;
    x[t] = v;
  }
  return x;
}

describe('normalQuantile', () => {
  it('matches scipy.stats.norm.ppf to 1e-8', () => {
    fx.ppf.p.forEach((p, i) => {
      expect(Math.abs(normalQuantile(p) - fx.ppf.z[i]!)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fx.ppf.z[i]!)));
    });
  });
});

describe('ESS, R-hat, MCSE against the NumPy port of ArviZ; IAT against emcee', () => {
  for (const c of fx.chains) {
    it(c.name, () => {
      const ref = c.ref;
      expect(rel(essBulk(c.draws), ref.essBulk)).toBeLessThan(1e-6);
      expect(rel(essTail(c.draws), ref.essTail)).toBeLessThan(1e-6);
      expect(rel(essMean(c.draws), ref.essMean)).toBeLessThan(1e-9);
      expect(rel(rhat(c.draws), ref.rhat)).toBeLessThan(1e-6);
      expect(rel(mcse(c.draws), ref.mcse)).toBeLessThan(1e-9);
      expect(rel(integratedAutocorrTime(c.draws), ref.iatGeyer)).toBeLessThan(1e-9);
      expect(rel(integratedAutocorrTime(c.draws, { method: 'sokal' }), ref.iatSokal)).toBeLessThan(1e-9);
      expect(rel(integratedAutocorrTime(c.draws[0]!, { method: 'sokal' }), ref.iatSokalChain0)).toBeLessThan(1e-9);
      const acf = autocorrelation(c.draws[0]!, { maxLag: 10 });
      acf.forEach((v, t) => {
        expect(Math.abs(v - c.acf10[t]!)).toBeLessThan(1e-10);
      });
    });
  }

  it('R-hat ≈ 1 for mixed chains and large for chains stuck in different modes', () => {
    const mixed = fx.chains.find((c) => c.name === 'ar09')!;
    const stuck = fx.chains.find((c) => c.name === 'stuck')!;
    expect(rhat(mixed.draws)).toBeLessThan(1.02);
    expect(rhat(stuck.draws)).toBeGreaterThan(1.5);
  });
});

describe('integrated autocorrelation time on AR(1): τ = (1 + ρ)/(1 − ρ)', () => {
  for (const rho of [0.5, 0.8]) {
    it(`ρ = ${rho}`, () => {
      const x = ar1(Math.round(rho * 100), rho, 100_000);
      const tau = (1 + rho) / (1 - rho);
      expect(rel(integratedAutocorrTime(x), tau)).toBeLessThan(0.1);
      expect(rel(integratedAutocorrTime(x, { method: 'sokal' }), tau)).toBeLessThan(0.1);
      expect(rel(essMean(x), 100_000 / tau)).toBeLessThan(0.15);
    });
  }

  it('accepts tensors [chains, draws] without leaking', async () => {
    const v = await expectNoLeak(() => {
      const t = normal(key(3), [4, 500]);
      const out = [essBulk(t), rhat(t)];
      t.dispose();
      return out;
    });
    expect(v[0]).toBeGreaterThan(1000);
    expect(v[1]).toBeLessThan(1.02);
  });
});

describe('helpers and validation', () => {
  it('ESS per second and per gradient', () => {
    expect(essPerSecond(100, 4)).toBe(25);
    expect(essPerGradient(100, 1000)).toBe(0.1);
    expect(() => essPerSecond(1, 0)).toThrow(/essPerSecond: 'seconds' must be a positive number/);
  });

  it('rejects ragged, short and non-finite chains', () => {
    expect(() =>
      essBulk([
        [1, 2, 3, 4],
        [1, 2, 3],
      ]),
    ).toThrow(/essBulk: 'chains' chains must have equal length/);
    expect(() => rhat([1, 2])).toThrow(/rhat: 'chains' needs at least 4 draws/);
    expect(() => essTail([1, 2, Number.NaN, 4, 5])).toThrow(/essTail: 'chains\[0\]' must be finite/);
    expect(() => autocorrelation([1, 1, 1])).toThrow(/constant/);
  });
});
