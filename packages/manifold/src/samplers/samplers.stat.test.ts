import * as tf from '@tensorflow/tfjs-core';
import { type Key, foldIn, key } from '@walkjump/tensor';
import { expectNoLeak, meanAndSE } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { so3, sphere, torus } from '../analytic/analytic.ts';
import { constrainedHmc } from './hmc.ts';
import { constrainedLangevin } from './langevin.ts';
import { type ConstrainedInfo, type ConstrainedKernel, disposeConstrainedState } from './rattle.ts';

/** Kolmogorov–Smirnov statistic sup|F_n − F| of a sample against a continuous CDF. */
function ksStatistic(sample: readonly number[], cdf: (x: number) => number): number {
  const s = [...sample].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** KS critical value at level α = 0.001 (asymptotic, c(α) = 1.949). */
const ksCritical001 = (n: number): number => 1.949 / Math.sqrt(n);

interface RunSummary {
  readonly final: number[][];
  readonly acceptanceRate: number;
  readonly maxConstraintResidual: number;
  readonly solverFailures: number;
  readonly nonReversible: number;
}

/** Runs `iterations` steps from `start` (`[C, n]`) and returns the final positions (C independent chains). */
function runChains(kernel: ConstrainedKernel, start: number[][], iterations: number, k: Key): RunSummary {
  const x0 = tf.tensor2d(start);
  let st = kernel.init(x0);
  x0.dispose();
  let acc = 0;
  let maxRes = 0;
  let fails = 0;
  let nonrev = 0;
  for (let i = 0; i < iterations; i++) {
    const [next, info]: [typeof st, ConstrainedInfo] = kernel.step(foldIn(k, i), st);
    disposeConstrainedState(st);
    st = next;
    acc += info.acceptanceRate;
    maxRes = Math.max(maxRes, ...info.constraintResidual);
    fails += info.solverFailed.filter(Boolean).length;
    nonrev += info.nonReversible.filter(Boolean).length;
  }
  const final = st.position.arraySync();
  disposeConstrainedState(st);
  return {
    final,
    acceptanceRate: acc / iterations,
    maxConstraintResidual: maxRes,
    solverFailures: fails,
    nonReversible: nonrev,
  };
}

// Exactness of constrained HMC against Hausdorff-measure facts. Samples are the final states of C
// chains all started at ONE point (so a sampler that does not mix fails), which are independent
// across chains: tolerances are 4 standard errors or the KS critical value at α = 0.001.
const C = 500;
const zeroEnergy = (x: tf.Tensor): tf.Tensor => tf.zeros([x.shape[0] as number]);
const repeat = (p: readonly number[], c: number): number[][] => Array.from({ length: c }, () => [...p]);

describe('constrainedHmc is exact', () => {
  it('E = 0 on S²: uniform (mean 0, E[xxᵀ] = I/3, z ~ Unif[−1, 1] by Archimedes)', async () => {
    const S = sphere(3);
    const run = await expectNoLeak(() =>
      runChains(
        constrainedHmc(S.constraintFn, zeroEnergy, { stepSize: 0.35, numSteps: 6, maxIter: 20 }),
        repeat(S.basePoint, C),
        12,
        key(11),
      ),
    );
    console.log('S2 uniform:', {
      acc: run.acceptanceRate,
      fails: run.solverFailures,
      nonrev: run.nonReversible,
      res: run.maxConstraintResidual,
    });
    expect(run.maxConstraintResidual).toBeLessThanOrEqual(1e-5);
    expect(run.acceptanceRate).toBeGreaterThan(0.8);
    for (let i = 0; i < 3; i++) {
      const m = meanAndSE(run.final.map((x) => x[i]!));
      expect(Math.abs(m.mean)).toBeLessThan(4 * m.se);
      for (let j = i; j < 3; j++) {
        const q = meanAndSE(run.final.map((x) => x[i]! * x[j]!));
        expect(Math.abs(q.mean - (i === j ? 1 / 3 : 0))).toBeLessThan(4 * q.se);
      }
    }
    const D = ksStatistic(
      run.final.map((x) => x[2]!),
      (z) => (z + 1) / 2,
    );
    console.log('S2 uniform: KS(z) =', D, 'critical', ksCritical001(C));
    expect(D).toBeLessThan(ksCritical001(C));
  });

  it('E = −κ μᵀx on S²: von Mises–Fisher mean resultant length coth κ − 1/κ', async () => {
    const S = sphere(3);
    const kappa = 2;
    const energy = (x: tf.Tensor): tf.Tensor =>
      tf.tidy(() => tf.mul(-kappa, tf.squeeze(tf.slice(x, [0, 2], [-1, 1]), [1])));
    // Start at the south pole, far from the mode.
    const run = await expectNoLeak(() =>
      runChains(
        constrainedHmc(S.constraintFn, energy, { stepSize: 0.3, numSteps: 6, maxIter: 20 }),
        repeat([0, 0, -1], C),
        12,
        key(12),
      ),
    );
    const m = meanAndSE(run.final.map((x) => x[2]!));
    const want = 1 / Math.tanh(kappa) - 1 / kappa;
    console.log('vMF:', { acc: run.acceptanceRate, mean: m.mean, se: m.se, want });
    expect(run.maxConstraintResidual).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(m.mean - want)).toBeLessThan(4 * m.se);
    // The density of z is ∝ e^{κz} on [−1, 1]: KS against its CDF.
    const cdf = (z: number): number => (Math.exp(kappa * z) - Math.exp(-kappa)) / (Math.exp(kappa) - Math.exp(-kappa));
    const D = ksStatistic(
      run.final.map((x) => x[2]!),
      cdf,
    );
    console.log('vMF: KS(z) =', D);
    expect(D).toBeLessThan(ksCritical001(C));
  });

  it('E = 0 on the torus (R = 1, r = 0.5): θ has density ∝ R + r cos θ, φ uniform', async () => {
    const R = 1;
    const r = 0.5;
    const T = torus({ R, r });
    const run = await expectNoLeak(() =>
      runChains(
        constrainedHmc(T.constraintFn, zeroEnergy, { stepSize: 0.3, numSteps: 8, maxIter: 20 }),
        repeat(T.basePoint, C),
        14,
        key(13),
      ),
    );
    expect(run.maxConstraintResidual).toBeLessThanOrEqual(1e-5);
    const theta = run.final.map(([x, y, z]) => Math.atan2(z!, Math.hypot(x!, y!) - R));
    const phi = run.final.map(([x, y]) => Math.atan2(y!, x!));
    const Dt = ksStatistic(theta, (t) => (R * (t + Math.PI) + r * Math.sin(t)) / (2 * Math.PI * R));
    const Dp = ksStatistic(phi, (p) => (p + Math.PI) / (2 * Math.PI));
    // A sampler uniform in (θ, φ) (wrong measure) would give KS(θ) ≈ r/(πR) = 0.16 > critical 0.087.
    console.log('torus:', { acc: run.acceptanceRate, Dtheta: Dt, Dphi: Dp, critical: ksCritical001(C) });
    expect(Dt).toBeLessThan(ksCritical001(C));
    expect(Dp).toBeLessThan(ksCritical001(C));
  });

  it('E = 0 on O(3) from the identity: Haar on SO(3) (E[tr R] = 0, E[(tr R)²] = 1, det = +1)', async () => {
    const O = so3();
    const n = 300;
    const run = await expectNoLeak(() =>
      runChains(
        constrainedHmc(O.constraintFn, zeroEnergy, { stepSize: 0.25, numSteps: 8, maxIter: 20 }),
        repeat(O.basePoint, n),
        10,
        key(14),
      ),
    );
    const tr = run.final.map((x) => x[0]! + x[4]! + x[8]!);
    const t1 = meanAndSE(tr);
    const t2 = meanAndSE(tr.map((t) => t * t));
    console.log('SO(3):', { acc: run.acceptanceRate, trMean: t1.mean, trSE: t1.se, tr2: t2.mean, tr2SE: t2.se });
    expect(run.maxConstraintResidual).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(t1.mean)).toBeLessThan(4 * t1.se);
    expect(Math.abs(t2.mean - 1)).toBeLessThan(4 * t2.se);
    for (const x of run.final) {
      const det =
        x[0]! * (x[4]! * x[8]! - x[5]! * x[7]!) -
        x[1]! * (x[3]! * x[8]! - x[5]! * x[6]!) +
        x[2]! * (x[3]! * x[7]! - x[4]! * x[6]!);
      expect(det).toBeGreaterThan(0);
    }
  });
});

describe('constrainedLangevin (unadjusted, Ross et al. Algorithm 1)', () => {
  it('stays on S² within tolerance; bias of the uniform target is small and reported', async () => {
    const S = sphere(3);
    const run = await expectNoLeak(() =>
      runChains(
        constrainedLangevin(S.constraintFn, zeroEnergy, { stepSize: 0.3, maxIter: 20 }),
        repeat(S.basePoint, C),
        40,
        key(15),
      ),
    );
    const z = run.final.map((x) => x[2]!);
    const m2 = meanAndSE(z.map((v) => v * v));
    const D = ksStatistic(z, (v) => (v + 1) / 2);
    console.log('CLMC uniform S2:', { acc: run.acceptanceRate, Ez2: m2.mean, se: m2.se, bias: m2.mean - 1 / 3, KS: D });
    expect(run.maxConstraintResidual).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(m2.mean - 1 / 3)).toBeLessThan(4 * m2.se + 0.02);
  });

  it('vMF on S²: the unadjusted bias in E[z] is reported; the adjusted (MALA) variant is exact', async () => {
    const S = sphere(3);
    const kappa = 2;
    const want = 1 / Math.tanh(kappa) - 1 / kappa;
    const energy = (x: tf.Tensor): tf.Tensor =>
      tf.tidy(() => tf.mul(-kappa, tf.squeeze(tf.slice(x, [0, 2], [-1, 1]), [1])));
    const out: Record<string, number> = {};
    for (const metropolis of [false, true]) {
      const run = await expectNoLeak(() =>
        runChains(
          constrainedLangevin(S.constraintFn, energy, { stepSize: 0.4, maxIter: 20, metropolis }),
          repeat([0, 0, 1], C),
          40,
          key(16),
        ),
      );
      const m = meanAndSE(run.final.map((x) => x[2]!));
      expect(run.maxConstraintResidual).toBeLessThanOrEqual(1e-5);
      out[metropolis ? 'adjusted' : 'unadjusted'] = m.mean - want;
      out[metropolis ? 'adjustedSE' : 'unadjustedSE'] = m.se;
      out[metropolis ? 'adjustedAcc' : 'unadjustedAcc'] = run.acceptanceRate;
      if (metropolis) expect(Math.abs(m.mean - want)).toBeLessThan(4 * m.se);
    }
    console.log('CLMC vMF bias in E[z]:', out);
  });

  it('vMF on S²: unadjusted bias against step size (grows with ε), constraint error within tolerance at every ε', async () => {
    const S = sphere(3);
    const kappa = 2;
    const want = 1 / Math.tanh(kappa) - 1 / kappa;
    const energy = (x: tf.Tensor): tf.Tensor =>
      tf.tidy(() => tf.mul(-kappa, tf.squeeze(tf.slice(x, [0, 2], [-1, 1]), [1])));
    // Start at exact vMF draws (z = 1 + log(u + (1 − u)e^{−2κ})/κ, azimuth uniform): any drift of
    // E[z] is then the discretization bias, not burn-in.
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed + 0.5) / 2 ** 32;
    };
    const start = Array.from({ length: C }, () => {
      const u = rnd();
      const z = 1 + Math.log(u + (1 - u) * Math.exp(-2 * kappa)) / kappa;
      const a = 2 * Math.PI * rnd();
      const rho = Math.sqrt(Math.max(0, 1 - z * z));
      return [rho * Math.cos(a), rho * Math.sin(a), z];
    });
    const rows: { eps: number; bias: number; se: number; acc: number; failures: number; maxResidual: number }[] = [];
    for (const eps of [0.2, 0.4, 0.8]) {
      const run = await expectNoLeak(() =>
        runChains(constrainedLangevin(S.constraintFn, energy, { stepSize: eps, maxIter: 20 }), start, 30, key(17)),
      );
      const m = meanAndSE(run.final.map((x) => x[2]!));
      expect(run.maxConstraintResidual).toBeLessThanOrEqual(1e-5);
      rows.push({
        eps,
        bias: m.mean - want,
        se: m.se,
        acc: run.acceptanceRate,
        failures: run.solverFailures,
        maxResidual: run.maxConstraintResidual,
      });
    }
    console.log('CLMC vMF bias in E[z] vs step size:', rows);
    const [small, , large] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    expect(large.bias).toBeLessThan(small.bias - 3 * Math.hypot(small.se, large.se));
  });
});
