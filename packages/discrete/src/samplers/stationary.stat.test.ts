import * as tf from '@tensorflow/tfjs-core';
import { bernoulli, type Key, key, split } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { empiricalDistribution, exactDistribution, expectedEmpiricalTV, totalVariation } from '../targets/exact.ts';
import { randomIsing } from '../targets/models.ts';
import { gibbs } from './gibbs.ts';
import { gibbsWithGradients } from './gwg.ts';
import { discreteLangevin, dmala, dula, twoStageDiscreteLangevin } from './langevin.ts';
import { metropolis } from './metropolis.ts';
import type { DiscreteKernel, DiscreteState } from './types.ts';

// d = 8 Ising model with random couplings J_ij ~ N(0, 1/d) and fields h_i ~ N(0, 0.3²): K = 256 states.
const D = 8;
const C = 4096;
const model = randomIsing(key(7), D, { scale: 1, fieldScale: 0.3 });
const exact = exactDistribution(model.logProb, D);

/**
 * TV tolerance for N independent draws: E[TV] ≈ Σ_k √(p_k(1−p_k)/(2πN)) (normal approximation of each
 * |p̂_k − p_k|) plus a McDiarmid deviation: TV of an empirical law changes by ≤ 1/N when one draw changes, so
 * P(TV − E[TV] ≥ t) ≤ exp(−2Nt²); t = √(log(1/δ)/(2N)) with δ = 1e−4.
 */
const tolerance = (N: number): number => expectedEmpiricalTV(exact.probs, N) + Math.sqrt(Math.log(1e4) / (2 * N));

/** Runs C chains from uniform starts; returns the final positions' TV to the exact law and mean info. */
function finalTV<S extends DiscreteState>(
  kernel: DiscreteKernel<S>,
  k: Key,
  steps: number,
): { tv: number; acc: number; flips: number } {
  const [k0, k1] = split(k, 2) as [Key, Key];
  const y0 = tf.tidy(() => tf.sub(tf.mul(bernoulli(k0, 0.5, [C, D]), 2), 1));
  let state = kernel.init(y0);
  y0.dispose();
  const keys = split(k1, steps);
  let acc = 0;
  let flips = 0;
  for (let t = 0; t < steps; t++) {
    const [next, info] = kernel.step(keys[t]!, state);
    tf.dispose(state as unknown as tf.TensorContainer);
    state = next;
    if (t === steps - 1) {
      acc = tf.tidy(() => tf.mean(info.acceptance).dataSync()[0]!);
      flips = tf.tidy(() => tf.mean(info.flips).dataSync()[0]!);
    }
    tf.dispose(info as unknown as tf.TensorContainer);
  }
  const tv = totalVariation(empiricalDistribution(state.position), exact.probs);
  tf.dispose(state as unknown as tf.TensorContainer);
  return { tv, acc, flips };
}

describe('stationary distributions on a d = 8 random Ising model (C = 4096 independent chains)', () => {
  const tol = tolerance(C);
  const cases: [string, () => DiscreteKernel<DiscreteState>, number][] = [
    ['gibbs (systematic)', () => gibbs(model), 15],
    ['gibbs (random scan)', () => gibbs(model, { scan: 'random' }), 20],
    ['metropolis', () => metropolis(model), 150],
    ['metropolis (Hamming ball r = 3)', () => metropolis(model, { radius: 3 }), 100],
    ['gibbsWithGradients', () => gibbsWithGradients(model), 120],
    ['dmala (α = 1)', () => dmala(model, { stepSize: 1 }), 100],
  ];
  for (const [name, make, steps] of cases) {
    it(`${name} is exact: TV within the Monte Carlo tolerance`, async () => {
      const r = await expectNoLeak(() => finalTV(make(), key(11), steps));
      console.log(
        `${name}: TV = ${r.tv.toFixed(4)} (tol ${tol.toFixed(4)}, E[TV] ${expectedEmpiricalTV(exact.probs, C).toFixed(4)}), acc ${r.acc.toFixed(3)}, flips ${r.flips.toFixed(2)}`,
      );
      expect(r.tv).toBeLessThan(tol);
    });
  }

  it('the tolerance can fail: DULA with a large step (α = 4) is rejected', async () => {
    const r = await expectNoLeak(() => finalTV(dula(model, { stepSize: 4 }), key(11), 60));
    console.log(`dula α=4: TV = ${r.tv.toFixed(4)}`);
    expect(r.tv).toBeGreaterThan(tol);
  });

  it('discreteLangevin(η) is DULA(α = η) driven by the score', async () => {
    const a = await expectNoLeak(() => finalTV(dula(model, { stepSize: 0.5 }), key(3), 30));
    const b = await expectNoLeak(() => finalTV(discreteLangevin(model.grad, { eta: 0.5 }), key(3), 30));
    expect(b.tv).toBeCloseTo(a.tv, 10);
  });

  it('DULA and the two-stage sampler: bias against step size (README table)', async () => {
    const rows: string[] = [];
    const dulaTV: number[] = [];
    for (const [step, n] of [
      [0.5, 300],
      [1, 100],
      [2, 60],
      [4, 60],
    ] as const) {
      const a = await expectNoLeak(() => finalTV(dula(model, { stepSize: step }), key(5), n));
      const b = await expectNoLeak(() => finalTV(twoStageDiscreteLangevin(model.grad, { eta: step }), key(5), n));
      dulaTV.push(a.tv);
      rows.push(
        `| ${step} | ${a.tv.toFixed(3)} | ${a.flips.toFixed(2)} | ${b.tv.toFixed(3)} | ${b.flips.toFixed(2)} |`,
      );
    }
    console.log(
      `| α = η | DULA TV | DULA flips/step | two-stage TV | two-stage flips/step |\n${rows.join('\n')}\nMC floor E[TV] = ${expectedEmpiricalTV(exact.probs, C).toFixed(3)}`,
    );
    // DULA's bias grows with the step: the largest step is far outside the tolerance, the smallest nearer.
    expect(dulaTV[3]!).toBeGreaterThan(dulaTV[0]!);
  });

  const pooledCases: [string, () => DiscreteKernel<DiscreteState & { logProb: tf.Tensor }>, number, number][] = [
    ['gibbs', () => gibbs(model), 15, 32],
    ['gibbsWithGradients', () => gibbsWithGradients(model), 120, 96],
    ['dmala (α = 1)', () => dmala(model, { stepSize: 1 }), 100, 96],
  ];
  for (const [name, make, burn, S] of pooledCases)
    it(`TV of pooled ${name} samples falls with chain length as 1/√N_eff (τ from the f(y) trace)`, async () => {
      const C1 = 512;
      const res = await expectNoLeak(() => {
        const kernel = make();
        const [k0, k1] = split(key(21), 2) as [Key, Key];
        const y0 = tf.tidy(() => tf.sub(tf.mul(bernoulli(k0, 0.5, [C1, D]), 2), 1));
        let state = kernel.init(y0);
        y0.dispose();
        const keys = split(k1, burn + S);
        const pooled: tf.Tensor[] = [];
        const trace: Float32Array[] = [];
        for (let t = 0; t < burn + S; t++) {
          const [next, info] = kernel.step(keys[t]!, state);
          tf.dispose(state as unknown as tf.TensorContainer);
          tf.dispose(info as unknown as tf.TensorContainer);
          state = next;
          if (t >= burn) {
            pooled.push(tf.clone(state.position));
            trace.push(state.logProb.dataSync() as Float32Array);
          }
        }
        tf.dispose(state as unknown as tf.TensorContainer);
        // integrated autocorrelation time of f along the chains, summed until the autocorrelation drops below 0.05
        let mu = 0;
        for (const tr of trace) for (const v of tr) mu += v / (S * C1);
        const acf = (lag: number): number => {
          let num = 0;
          for (let t = 0; t + lag < S; t++)
            for (let c = 0; c < C1; c++) num += (trace[t]![c]! - mu) * (trace[t + lag]![c]! - mu);
          return num / ((S - lag) * C1);
        };
        const v0 = acf(0);
        let tau = 1;
        for (let lag = 1; lag < S / 2; lag++) {
          const r = acf(lag) / v0;
          if (r < 0.05) break;
          tau += 2 * r;
        }
        const tvs: [number, number, number][] = [];
        for (const n of [1, S / 8, S]) {
          const all = tf.concat(pooled.slice(0, n));
          const tv = totalVariation(empiricalDistribution(all), exact.probs);
          all.dispose();
          tvs.push([n * C1, tv, tolerance(Math.max(1, Math.floor((n * C1) / (n === 1 ? 1 : tau))))]);
        }
        tf.dispose(pooled);
        return { tau, tvs };
      });
      console.log(
        `${name} pooled: τ_f = ${res.tau.toFixed(2)}; ${res.tvs.map(([n, tv, tol]) => `N=${n}: TV ${tv.toFixed(4)} (tol ${tol.toFixed(4)})`).join('; ')}`,
      );
      for (const [, tv, tol] of res.tvs) expect(tv).toBeLessThan(tol);
      // from N = 512 to S·512 pooled draws E[TV] should shrink by √(S/τ); demand at least half of that
      expect(res.tvs[2]![1]).toBeLessThan(res.tvs[0]![1] / (0.5 * Math.sqrt(S / res.tau)));
    });
});
