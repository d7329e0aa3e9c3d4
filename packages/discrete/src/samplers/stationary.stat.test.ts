import * as tf from '@tensorflow/tfjs-core';
import { bernoulli, type Key, key, normal, split } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { empiricalDistribution, exactDistribution, expectedEmpiricalTV, totalVariation } from '../targets/exact.ts';
import { randomIsing, rbm } from '../targets/models.ts';
import { gibbs } from './gibbs.ts';
import { gibbsWithGradients } from './gwg.ts';
import { discreteLangevin, dmala, dula, twoStageDiscreteLangevin } from './langevin.ts';
import { metropolis } from './metropolis.ts';
import { rbmBlockedGibbs } from './rbm.ts';
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
const tolerance = (N: number, probs: Float64Array = exact.probs): number =>
  expectedEmpiricalTV(probs, N) + Math.sqrt(Math.log(1e4) / (2 * N));

/**
 * Runs C chains from uniform starts; returns the final positions' TV to the exact law (default: the Ising
 * model's, on D sites) and mean info. `final` sees the final state before it is disposed.
 */
function finalTV<S extends DiscreteState>(
  kernel: DiscreteKernel<S>,
  k: Key,
  steps: number,
  target: { probs: Float64Array; d: number } = { probs: exact.probs, d: D },
  final?: (state: S) => void,
): { tv: number; acc: number; flips: number } {
  const [k0, k1] = split(k, 2) as [Key, Key];
  const y0 = tf.tidy(() => tf.sub(tf.mul(bernoulli(k0, 0.5, [C, target.d]), 2), 1));
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
  const tv = totalVariation(empiricalDistribution(state.position), target.probs);
  final?.(state);
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

describe('rbmBlockedGibbs on a d = 8, m = 3 RBM (C = 4096 independent chains)', () => {
  // W_ij ~ N(0, 0.8²), b_i, c_j ~ N(0, 0.5²): a correlated, multimodal visible marginal on K = 256 states.
  // Strong couplings (E[h_j] ≈ ±0.95) make the chain slow from uniform starts: 20 sweeps give TV ≈ 0.21, so 300.
  const d = 8;
  const m = 3;
  const z = tf.tidy(() => Array.from(normal(key(13), [d * m + d + m]).dataSync()));
  const params = {
    W: z.slice(0, d * m).map((x) => 0.8 * x),
    b: z.slice(d * m, d * m + d).map((x) => 0.5 * x),
    c: z.slice(d * m + d).map((x) => 0.5 * x),
  };
  const model = rbm(params);
  const ex = exactDistribution(model.logProb, d);
  // exact E[h_j] = Σ_v p(v) tanh(c_j + (Wᵀv)_j)
  const hMean = new Float64Array(m);
  for (let k = 0; k < ex.probs.length; k++)
    for (let j = 0; j < m; j++) {
      let a = params.c[j]!;
      for (let i = 0; i < d; i++) a += ((k >> i) & 1 ? 1 : -1) * params.W[i * m + j]!;
      hMean[j] = hMean[j]! + ex.probs[k]! * Math.tanh(a);
    }

  it('the visible marginal matches exactDistribution within the Monte Carlo TV tolerance; E[h] too', async () => {
    const tol = tolerance(C, ex.probs);
    let hEmp: number[] = [];
    const r = await expectNoLeak(() =>
      finalTV(rbmBlockedGibbs(model), key(11), 300, { probs: ex.probs, d }, (s) => {
        expect(s.hidden.shape).toEqual([C, m]);
        hEmp = tf.tidy(() => Array.from(tf.mean(s.hidden, 0).dataSync()));
      }),
    );
    console.log(
      `rbmBlockedGibbs: TV = ${r.tv.toFixed(4)} (tol ${tol.toFixed(4)}, E[TV] ${expectedEmpiricalTV(ex.probs, C).toFixed(4)}), flips ${r.flips.toFixed(2)}; E[h] ${hEmp.map((x) => x.toFixed(3)).join(', ')} vs exact ${Array.from(hMean, (x) => x.toFixed(3)).join(', ')}`,
    );
    expect(r.tv).toBeLessThan(tol);
    expect(r.acc).toBe(1);
    // |ĥ_j − E h_j| ≤ 4.5 standard errors, sd(h_j) ≤ 1
    for (let j = 0; j < m; j++) expect(Math.abs(hEmp[j]! - hMean[j]!)).toBeLessThan(4.5 / Math.sqrt(C));
  });

  it('the same kernel from RbmParams (nested W) is the same chain; the initial hidden is sign(c + Wᵀv)', async () => {
    const nested = {
      W: Array.from({ length: d }, (_, i) => params.W.slice(i * m, (i + 1) * m)),
      b: params.b,
      c: params.c,
    };
    const a = await expectNoLeak(() => finalTV(rbmBlockedGibbs(model), key(4), 3, { probs: ex.probs, d }));
    const b = await expectNoLeak(() => finalTV(rbmBlockedGibbs(nested), key(4), 3, { probs: ex.probs, d }));
    expect(b.tv).toBe(a.tv);
    await expectNoLeak(() => {
      const y = tf.tensor2d([[1, -1, 1, 1, -1, -1, 1, -1]]);
      const s = rbmBlockedGibbs(params).init(y);
      const h = Array.from(s.hidden.dataSync());
      for (let j = 0; j < m; j++) {
        let f = params.c[j]!;
        for (let i = 0; i < d; i++) f += (y.dataSync()[i]! as number) * params.W[i * m + j]!;
        expect(h[j]).toBe(f >= 0 ? 1 : -1);
      }
      tf.dispose([y, s.position, s.hidden]);
    });
  });

  it('rejects bad input before computing', async () => {
    await expectNoLeak(() => {
      expect(() => rbmBlockedGibbs(null as unknown as typeof params)).toThrow(/params/);
      expect(() => rbmBlockedGibbs({ ...params, W: params.W.slice(1) })).toThrow(/'W' must be 8×3/);
      expect(() => rbmBlockedGibbs({ ...params, b: [...params.b.slice(1), Number.NaN] })).toThrow(/'b\[7\]'/);
      const kernel = rbmBlockedGibbs(params);
      const notSpins = tf.fill([2, d], 0.5);
      const wrongD = tf.ones([2, d + 1]);
      const rank1 = tf.ones([d]);
      expect(() => kernel.init(notSpins)).toThrow(/entries in \{-1, 1\}/);
      expect(() => kernel.init(wrongD)).toThrow(/shape \[C, 8\]/);
      expect(() => kernel.init(rank1)).toThrow(/rank 2/);
      const ones = tf.ones([2, d]);
      const s = kernel.init(ones);
      const badHidden = tf.ones([2, m + 1]);
      expect(() => kernel.step(key(0), { position: s.position, hidden: badHidden })).toThrow(
        /'state.hidden' must have shape \[2, 3\]/,
      );
      expect(() => kernel.step(key(0), { position: wrongD, hidden: s.hidden })).toThrow(/'state.position'/);
      tf.dispose([notSpins, wrongD, rank1, ones, badHidden, s.position, s.hidden]);
    });
  });
});
