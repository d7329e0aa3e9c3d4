import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type EnergyFn,
  inputGrad,
  type Key,
  type ScoreFn,
  uniform,
  ValueError,
} from '@walkjump/tensor';
import { checkBatch } from '../internal/checks.ts';

/** Options of {@link associativeMemory}. */
export interface AssociativeMemoryOptions {
  /** Step size η of the flow y ← y − η∇E(y) (ε² of the noiseless Langevin update). */
  readonly stepSize: number;
  /** Largest number of steps; default 1000. */
  readonly maxSteps?: number;
  /**
   * A sample has converged when its RMS step η‖∇E‖/√d falls below `tol` (it is then frozen);
   * default 1e-5.
   */
  readonly tol?: number;
  /** Read back convergence every this many steps; default 10. */
  readonly checkEvery?: number;
  /** Keep a snapshot of y every this many steps (plus the start and the end); default none. */
  readonly recordEvery?: number;
  /**
   * The score −∇E in closed form (e.g. `gaussianKdeEnergy(...).score`), used for the flow instead of
   * autodiff through `energy` (which is then only evaluated at the end).
   */
  readonly score?: ScoreFn;
}

/** The result of {@link associativeMemory}; the caller owns every tensor in it. */
export interface AssociativeMemoryResult {
  /** The attractors reached (or the last iterate), same shape as y0. */
  readonly y: tf.Tensor;
  /** E at the final points, [B]. */
  readonly energy: tf.Tensor;
  /** Per sample: converged under `tol`. */
  readonly converged: readonly boolean[];
  /** Per sample: steps taken until convergence (or maxSteps). */
  readonly steps: readonly number[];
  /** Snapshots of y (with `recordEvery`), first the start. */
  readonly trajectory: readonly tf.Tensor[];
  /** The step index of each snapshot. */
  readonly trajectorySteps: readonly number[];
}

/**
 * Robbins associative memory (Saremi & Hyvärinen 2019, Sec. 9, Definition 15): the deterministic
 * flow y_{k+1} = y_k − η∇E(y_k) (the Langevin walk of eq. 5 without noise) from y0 to an attractor
 * (local minimum) of the learned energy E. Each sample stops when its RMS step η‖∇E‖/√d < tol and
 * is frozen there; returns the attractors, their energies, per-sample convergence and step counts,
 * and optional snapshots. `y0` [B, ...] is not disposed; the caller owns the result's tensors.
 */
export async function associativeMemory(
  energy: EnergyFn,
  y0: tf.Tensor,
  opts: AssociativeMemoryOptions,
): Promise<AssociativeMemoryResult> {
  const fn = 'associativeMemory';
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { stepSize } are required`);
  assertPositive(fn, 'stepSize', opts.stepSize);
  const maxSteps = opts.maxSteps ?? 1000;
  assertInteger(fn, 'maxSteps', maxSteps, 1);
  const tol = opts.tol ?? 1e-5;
  assertPositive(fn, 'tol', tol);
  const checkEvery = opts.checkEvery ?? 10;
  assertInteger(fn, 'checkEvery', checkEvery, 1);
  if (opts.recordEvery !== undefined) assertInteger(fn, 'recordEvery', opts.recordEvery, 1);
  const B = checkBatch(fn, 'y0', y0);
  const d = y0.size / B;
  const eta = opts.stepSize;
  const score = opts.score;
  const g = score !== undefined ? (y: tf.Tensor) => tf.neg(score(y)) : inputGrad(energy);
  const bshape = [B, ...new Array<number>(y0.rank - 1).fill(1)];
  let y = tf.clone(y0);
  let active = tf.ones(bshape);
  const steps = new Array<number>(B).fill(maxSteps);
  const converged = new Array<boolean>(B).fill(false);
  const trajectory: tf.Tensor[] = opts.recordEvery !== undefined ? [tf.clone(y0)] : [];
  const trajectorySteps: number[] = opts.recordEvery !== undefined ? [0] : [];
  let k = 0;
  try {
    while (k < maxSteps) {
      const check = (k + 1) % checkEvery === 0 || k + 1 === maxSteps;
      const [next, rms] = tf.tidy(() => {
        const step = tf.mul(g(y), eta);
        const r = check ? tf.div(tf.sqrt(tf.sum(tf.reshape(tf.square(step), [B, -1]), 1)), Math.sqrt(d)) : null;
        return [tf.sub(y, tf.mul(step, active)), r] as const;
      });
      y.dispose();
      y = next;
      k++;
      if (opts.recordEvery !== undefined && k % opts.recordEvery === 0) {
        trajectory.push(tf.clone(y));
        trajectorySteps.push(k);
      }
      if (rms !== null) {
        const v = await rms.data();
        rms.dispose();
        let changed = false;
        for (let b = 0; b < B; b++) {
          if (!converged[b] && (v[b] as number) < tol) {
            converged[b] = true;
            steps[b] = k;
            changed = true;
          }
        }
        if (converged.every(Boolean)) break;
        if (changed) {
          const mask = tf.tensor(
            converged.map((c) => (c ? 0 : 1)),
            bshape,
          );
          active.dispose();
          active = mask;
        }
      }
    }
    if (opts.recordEvery !== undefined && trajectorySteps[trajectorySteps.length - 1] !== k) {
      trajectory.push(tf.clone(y));
      trajectorySteps.push(k);
    }
    const e = tf.tidy(() => energy(y));
    return { y, energy: e, converged, steps, trajectory, trajectorySteps };
  } catch (err) {
    y.dispose();
    tf.dispose(trajectory);
    throw err;
  } finally {
    active.dispose();
  }
}

/** Options of {@link creativeModes}. */
export interface CreativeModesOptions extends AssociativeMemoryOptions {
  /** Number of starts. */
  readonly count: number;
  /** Per-sample shape, e.g. [28, 28, 1]. */
  readonly shape: readonly number[];
  /** The hypercube [low, high]^d; default [0, 1]. */
  readonly low?: number;
  readonly high?: number;
}

/**
 * Creative modes (Saremi & Hyvärinen 2019, Sec. 10, Fig. 9): {@link associativeMemory} started from
 * points drawn uniformly in the hypercube [0, 1]^d (drawn from `key`), which in the highly overlapping
 * regime σ ≳ σc flow to local minima of E that are not training digits. Returns the flow's result
 * plus the starts `y0` (owned by the caller).
 */
export async function creativeModes(
  key: Key,
  energy: EnergyFn,
  opts: CreativeModesOptions,
): Promise<AssociativeMemoryResult & { readonly y0: tf.Tensor }> {
  const fn = 'creativeModes';
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`${fn}: options { count, shape, stepSize } are required`);
  assertInteger(fn, 'count', opts.count, 1);
  if (!Array.isArray(opts.shape) || !opts.shape.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new ValueError(`${fn}: 'shape' must be an array of positive integers`);
  }
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  if (!(high > low)) throw new ValueError(`${fn}: 'high' (${high}) must exceed 'low' (${low})`);
  const y0 = uniform(key, [opts.count, ...opts.shape], { min: low, max: high });
  try {
    const res = await associativeMemory(energy, y0, opts);
    return { ...res, y0 };
  } catch (err) {
    y0.dispose();
    throw err;
  }
}
