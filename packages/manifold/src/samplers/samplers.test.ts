import * as tf from '@tensorflow/tfjs-core';
import { key } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { sphere, torus } from '../analytic/analytic.ts';
import { constrainedHmc } from './hmc.ts';
import { constrainedLangevin } from './langevin.ts';
import { disposeConstrainedState } from './rattle.ts';

const S = sphere(3);
const zeroEnergy = (x: tf.Tensor): tf.Tensor => tf.zeros([x.shape[0] as number]);
const tiltEnergy = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d([0.5, -1, 2])), 1));
const start = (): tf.Tensor2D =>
  tf.tensor2d([
    [0, 0, 1],
    [1, 0, 0],
    [0, -1, 0],
    [0.6, 0.8, 0],
  ]);

describe('constrained kernels: misuse throws at construction or init', () => {
  it('step size <= 0, numSteps < 1, wrong F shape, off-manifold start, wrong energy shape', async () => {
    await expectNoLeak(() => {
      expect(() => constrainedHmc(S.constraintFn, zeroEnergy, { stepSize: 0 })).toThrow(
        /'stepSize' must be a positive number, got 0/,
      );
      expect(() => constrainedLangevin(S.constraintFn, zeroEnergy, { stepSize: -0.1 })).toThrow(/'stepSize'/);
      expect(() => constrainedHmc(S.constraintFn, zeroEnergy, { stepSize: 0.1, numSteps: 0 })).toThrow(/'numSteps'/);
      const x = start();
      const flat = constrainedHmc((z) => tf.sum(z, 1), zeroEnergy, { stepSize: 0.1 });
      expect(() => flat.init(x)).toThrow(/'constraintFn' must map \[4, 3\] to \[4, k\], got \[4\]/);
      const full = constrainedHmc((z) => tf.mul(z, 1), zeroEnergy, { stepSize: 0.1 });
      expect(() => full.init(x)).toThrow(/1 <= k < n/);
      const off = tf.tensor2d([
        [0, 0, 1],
        [0, 0, 1.1],
      ]);
      expect(() => constrainedHmc(S.constraintFn, zeroEnergy, { stepSize: 0.1 }).init(off)).toThrow(
        /row 1.*projectToManifold/,
      );
      const badE = constrainedHmc(S.constraintFn, (z) => tf.sum(z), { stepSize: 0.1 });
      expect(() => badE.init(x)).toThrow(/'energyFn' must map \[4, 3\] to \[4\]/);
      const rank1 = tf.tensor1d([0, 0, 1]);
      expect(() => constrainedHmc(S.constraintFn, zeroEnergy, { stepSize: 0.1 }).init(rank1)).toThrow(/rank 2/);
      tf.dispose([x, off, rank1]);
    });
  });
});

describe('constrained kernels: contract', () => {
  for (const [name, make] of [
    ['constrainedHmc', () => constrainedHmc(S.constraintFn, tiltEnergy, { stepSize: 0.2, numSteps: 3 })],
    ['constrainedLangevin', () => constrainedLangevin(S.constraintFn, tiltEnergy, { stepSize: 0.2 })],
  ] as const) {
    it(`${name}: same key → same draw, different keys differ, no leak, on M, input not disposed`, async () => {
      await expectNoLeak(() => {
        const kern = make();
        const x = start();
        const st = kern.init(x);
        const [a, ia] = kern.step(key(1), st);
        const [b] = kern.step(key(1), st);
        const [c] = kern.step(key(2), st);
        expect(a.position.arraySync()).toEqual(b.position.arraySync());
        expect(a.position.arraySync()).not.toEqual(c.position.arraySync());
        expect(a.position.shape).toEqual([4, 3]);
        expect(a.energy.shape).toEqual([4]);
        expect(ia.accepted.length).toBe(4);
        expect(Math.max(...ia.constraintResidual)).toBeLessThanOrEqual(1e-5);
        // Cached energy and gradient match the position.
        const e = tiltEnergy(a.position);
        expect(Array.from(a.energy.dataSync())).toEqual(Array.from(e.dataSync()));
        expect(st.position.isDisposed).toBe(false);
        tf.dispose([x, e]);
        for (const s of [st, a, b, c]) disposeConstrainedState(s);
      });
    });
  }

  it('a failed solve rejects only that chain and reports it (never an off-manifold point)', async () => {
    await expectNoLeak(() => {
      // One Newton iteration cannot reach 1e-7 from a long step: every chain fails and stays put.
      const kern = constrainedHmc(S.constraintFn, zeroEnergy, { stepSize: 0.5, numSteps: 2, maxIter: 1, tol: 1e-5 });
      const x = start();
      const st = kern.init(x);
      const [next, info] = kern.step(key(3), st);
      expect(info.solverFailed.some(Boolean)).toBe(true);
      for (let c = 0; c < 4; c++) {
        if (info.solverFailed[c]) {
          expect(info.accepted[c]).toBe(false);
          expect(info.acceptanceProbability[c]).toBe(0);
          expect(Number.isNaN(info.energyChange[c])).toBe(true);
          expect(next.position.arraySync()[c]).toEqual(st.position.arraySync()[c]);
        }
      }
      expect(Math.max(...info.constraintResidual)).toBeLessThanOrEqual(1e-5);
      tf.dispose(x);
      disposeConstrainedState(st);
      disposeConstrainedState(next);
    });
  });

  it('the reversibility check rejects when the backward solve misses the start', async () => {
    await expectNoLeak(() => {
      // A tolerance below float32 resolution: no backward solve can return "exactly".
      const T = torus({ R: 1, r: 0.5 });
      const kern = constrainedHmc(T.constraintFn, zeroEnergy, { stepSize: 0.2, numSteps: 1, reversibilityTol: 1e-12 });
      const x = tf.tensor2d([T.basePoint as number[], [0, 1.5, 0]]);
      const st = kern.init(x);
      const [next, info] = kern.step(key(4), st);
      expect(info.nonReversible).toEqual([true, true]);
      expect(info.accepted).toEqual([false, false]);
      expect(next.position.arraySync()).toEqual(st.position.arraySync());
      // With the default tolerance the same move is reversible and accepted (E = 0, small ΔH).
      const ok = constrainedHmc(T.constraintFn, zeroEnergy, { stepSize: 0.2, numSteps: 1 });
      const [n2, i2] = ok.step(key(4), st);
      expect(i2.nonReversible).toEqual([false, false]);
      expect(i2.energyChange.every((d) => Math.abs(d) < 0.05)).toBe(true);
      tf.dispose(x);
      for (const s of [st, next, n2]) disposeConstrainedState(s);
    });
  });
});

describe('constrainedLangevin with linearSolver: cg (matrix-free, Ross et al. Algorithm 1)', () => {
  it('agrees with the exact-Jacobian path step for step on the torus, stays on M, no leak', async () => {
    await expectNoLeak(() => {
      const T = torus({ R: 1, r: 0.5 });
      const energy = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d([0.3, -0.2, 0.5])), 1));
      const cgK = constrainedLangevin(T.constraintFn, energy, {
        stepSize: 0.15,
        linearSolver: 'cg',
        tol: 1e-6,
        cgTol: 1e-7,
      });
      const exK = constrainedLangevin(T.constraintFn, energy, { stepSize: 0.15, tol: 1e-6 });
      const x = tf.tensor2d([T.basePoint as number[], [0, 1.5, 0], [-1, 0, 0.5], [0, -1, -0.5]]);
      let a = cgK.init(x);
      let b = exK.init(x);
      let maxDiff = 0;
      for (let i = 0; i < 5; i++) {
        const [a2, ia] = cgK.step(key(20 + i), a);
        const [b2, ib] = exK.step(key(20 + i), b);
        expect(ia.accepted).toEqual(ib.accepted);
        expect(Math.max(...ia.constraintResidual)).toBeLessThanOrEqual(1e-6);
        expect(ia.newtonIterations).toBeGreaterThan(0);
        const pa = a2.position.arraySync();
        const pb = b2.position.arraySync();
        for (let c = 0; c < 4; c++)
          for (let l = 0; l < 3; l++) maxDiff = Math.max(maxDiff, Math.abs(pa[c]![l]! - pb[c]![l]!));
        disposeConstrainedState(a);
        disposeConstrainedState(b);
        a = a2;
        b = b2;
      }
      // Trajectories drift apart only by solver tolerances (float32, CG tol 1e-7, ‖F‖ ≤ 1e-6).
      expect(maxDiff).toBeLessThan(1e-4);
      disposeConstrainedState(a);
      disposeConstrainedState(b);
      x.dispose();
      expect(() =>
        constrainedLangevin(T.constraintFn, energy, { stepSize: 0.1, linearSolver: 'cg', metropolis: true }),
      ).toThrow(/'metropolis' needs linearSolver 'exact'/);
    });
  });
});

describe("multiplierSolver: 'lbfgs' (eq. 14 as in Ross et al.) and gradClamp", () => {
  it('L-BFGS on ½‖F‖² reaches the Newton root (exact and matrix-free paths), residual reported; clamp validated', async () => {
    await expectNoLeak(() => {
      const T = torus({ R: 1, r: 0.5 });
      const energy = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d([0.3, -0.2, 0.5])), 1));
      const x = tf.tensor2d([T.basePoint as number[], [0, 1.5, 0], [-1, 0, 0.5], [0, -1, -0.5]]);
      const newton = constrainedLangevin(T.constraintFn, energy, { stepSize: 0.15, tol: 1e-5 });
      const st = newton.init(x);
      const [a, ia] = newton.step(key(30), st);
      for (const linearSolver of ['exact', 'cg'] as const) {
        const lb = constrainedLangevin(T.constraintFn, energy, {
          stepSize: 0.15,
          tol: 1e-5,
          multiplierSolver: 'lbfgs',
          linearSolver,
          maxIter: 100,
        });
        const [b, ib] = lb.step(key(30), st);
        expect(ib.accepted).toEqual(ia.accepted);
        expect(ib.accepted.every(Boolean)).toBe(true);
        expect(Math.max(...ib.solverResidual)).toBeLessThanOrEqual(1e-5);
        const pa = a.position.dataSync();
        const pb = b.position.dataSync();
        for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i]! - pb[i]!)).toBeLessThan(1e-4);
        disposeConstrainedState(b);
      }
      // HMC with the L-BFGS solve keeps the reversibility check and MH: ΔH small, accepted.
      const hmc = constrainedHmc(T.constraintFn, energy, {
        stepSize: 0.1,
        numSteps: 2,
        multiplierSolver: 'lbfgs',
        maxIter: 100,
      });
      const [h, ih] = hmc.step(key(31), st);
      expect(ih.nonReversible.some(Boolean)).toBe(false);
      expect(ih.acceptanceRate).toBeGreaterThan(0.7);
      // Clamped drift: a huge linear energy moves no faster than ε²/2·c per coordinate.
      const steep = (z: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(1e4, tf.sum(z, 1)));
      const cl = constrainedLangevin(T.constraintFn, steep, { stepSize: 0.1, gradClamp: 0.5 });
      const s2 = cl.init(x);
      expect(Math.max(...Array.from(s2.energyGrad.dataSync()).map(Math.abs))).toBe(0.5);
      expect(() =>
        constrainedLangevin(T.constraintFn, steep, { stepSize: 0.1, gradClamp: 0.5, metropolis: true }),
      ).toThrow(/'gradClamp'.*only allowed without the Metropolis correction/);
      expect(() => constrainedLangevin(T.constraintFn, steep, { stepSize: 0.1, gradClamp: 0 })).toThrow(
        /'gradClamp' must be a positive number/,
      );
      expect(() =>
        constrainedHmc(T.constraintFn, steep, { stepSize: 0.1, multiplierSolver: 'sgd' as 'newton' }),
      ).toThrow(/'multiplierSolver' must be 'newton' or 'lbfgs'/);
      x.dispose();
      for (const s of [st, a, h, s2]) disposeConstrainedState(s);
    });
  });
});
