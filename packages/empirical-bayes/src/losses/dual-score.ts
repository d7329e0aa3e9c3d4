import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type ConditionedEnergyFn,
  type Key,
  normal,
  ShapeError,
  split,
  uniform,
  ValueError,
} from '@walkjump/tensor';
import { checkBatch, checkFiniteData, checkPerSample } from '../internal/checks.ts';

/** Draws one time per sample: (key, B) → t [B] with t > 0. */
export type TimeSchedule = (key: Key, B: number) => tf.Tensor;

/**
 * The default dual-score-matching schedule: log t uniform on [log tMin, log tMax] (σ = √t log-uniform,
 * the usual choice for noise levels spanning several decades). Returns a {@link TimeSchedule}.
 */
export function logUniformTimes(tMin: number, tMax: number): TimeSchedule {
  assertPositive('logUniformTimes', 'tMin', tMin);
  assertPositive('logUniformTimes', 'tMax', tMax);
  if (!(tMax >= tMin)) throw new ValueError(`logUniformTimes: 'tMax' (${tMax}) must be >= 'tMin' (${tMin})`);
  const a = Math.log(tMin);
  const b = Math.log(tMax);
  return (key, B) => tf.tidy(() => tf.exp(uniform(key, [B], { min: a, max: b })));
}

/** Options of {@link dualScoreMatchingLoss}. */
export interface DualScoreMatchingOptions {
  /** Smallest t of the default log-uniform schedule; default 1e-4. */
  readonly tMin?: number;
  /** Largest t of the default log-uniform schedule; default 1e3. */
  readonly tMax?: number;
  /** A custom time schedule (overrides tMin/tMax). */
  readonly schedule?: TimeSchedule;
  /** Check `x` for NaN/±∞ (one scalar read-back). Default true. */
  readonly checkFinite?: boolean;
}

/**
 * The dual score matching loss of Guth, Kadkhodaie & Simoncelli, per sample: with t drawn from the
 * schedule (default log t ~ U[log 1e-4, log 1e3]) and y = x + √t z, z ~ N(0, I),
 * ℓ = (t/d)ℓ_DSM + (t/d)²ℓ_TSM, ℓ_DSM = ‖∇_y U(y, t) − (y − x)/t‖², ℓ_TSM = (∂_t U(y, t) − d/(2t) +
 * ‖y − x‖²/(2t²))². `energy(y, t)` is U, a [B] energy of y [B, ...] and t [B] (a tensor; both
 * derivatives come from one reverse pass, and the loss is differentiable in anything U closes over,
 * i.e. double backprop). Returns [B]; the caller reduces (the mean estimates E_t[·]) and owns it.
 */
export function dualScoreMatchingLoss(
  key: Key,
  energy: ConditionedEnergyFn,
  x: tf.Tensor,
  opts: DualScoreMatchingOptions = {},
): tf.Tensor {
  const fn = 'dualScoreMatchingLoss';
  const B = checkBatch(fn, 'x', x);
  const schedule = opts.schedule ?? logUniformTimes(opts.tMin ?? 1e-4, opts.tMax ?? 1e3);
  if (opts.checkFinite !== false) checkFiniteData(fn, 'x', x);
  const d = x.size / B;
  const [kt, kz] = split(key, 2) as [Key, Key];
  const t = schedule(kt, B);
  if (t.rank !== 1 || t.shape[0] !== B) {
    t.dispose();
    throw new ShapeError(`${fn}: 'schedule' must return t of shape [${B}], got [${t.shape.join(', ')}]`);
  }
  const z = normal(kz, x.shape);
  try {
    return tf.tidy(() => {
      const tb = tf.reshape(t, [B, ...new Array<number>(x.rank - 1).fill(1)]);
      const noise = tf.mul(z, tf.sqrt(tb));
      const y = tf.add(x, noise);
      // Differentiate at an independent copy of t: y was built from t, and under an enclosing
      // gradient tape tf.grads would otherwise return the total derivative dU/dt (through y) instead
      // of the partial ∂_t U that the time score matches.
      const tc = tf.clone(t);
      const [gy, gt] = tf.grads((yv: tf.Tensor, tv: tf.Tensor) => {
        const u = energy(yv, tv);
        checkPerSample(fn, 'energy', u, B);
        return tf.sum(u);
      })([y, tc]) as [tf.Tensor, tf.Tensor];
      const dsm = tf.sum(tf.reshape(tf.square(tf.sub(gy, tf.div(noise, tb))), [B, -1]), 1);
      const n2 = tf.sum(tf.reshape(tf.square(noise), [B, -1]), 1);
      const tsm = tf.square(tf.add(tf.sub(gt, tf.div(d / 2, t)), tf.div(n2, tf.mul(tf.square(t), 2))));
      const w = tf.div(t, d);
      return tf.add(tf.mul(w, dsm), tf.mul(tf.square(w), tsm));
    });
  } finally {
    tf.dispose([t, z]);
  }
}

/** Options of {@link normalizeEnergy}. */
export interface NormalizeEnergyOptions {
  /** The large time T at which q_T is nearly Gaussian; default 1e3 (use the top of the training schedule). */
  readonly t?: number;
  /** Importance samples; default 4096. */
  readonly samples?: number;
  /** Evaluate U in batches of this many samples; default 1024. */
  readonly batchSize?: number;
}

/** A normalized energy; see {@link normalizeEnergy}. */
export interface NormalizedEnergy {
  /** log Z = log ∫ e^{−U(y, T)} dy (the constant added to U). */
  readonly logZ: number;
  /** The importance-sampling standard error of `logZ` (delta method). */
  readonly logZStdError: number;
  /** U(y, t) + log Z = −log p(y, t), normalized for every t (mass conservation). */
  readonly energy: ConditionedEnergyFn;
}

/**
 * Post-training normalization of a dual-score-matching energy (Guth, Kadkhodaie & Simoncelli): since
 * ℓ_TSM fixes ∂_t U, U(y, t) + log p(y, t) is one constant for all t (mass conservation), found at a
 * large T where q_T is nearly Gaussian: log Z = log E_{y~g}[e^{−U(y,T)}/g(y)], g = N(m, (T + v)I) with
 * m and v the mean and mean per-coordinate variance of `data` [N, ...] (importance sampling with a
 * near-optimal proposal). Returns the constant, its standard error and the normalized energy.
 */
export function normalizeEnergy(
  key: Key,
  energy: ConditionedEnergyFn,
  data: tf.Tensor,
  opts: NormalizeEnergyOptions = {},
): NormalizedEnergy {
  const fn = 'normalizeEnergy';
  const N = checkBatch(fn, 'data', data);
  checkFiniteData(fn, 'data', data);
  const T = opts.t ?? 1e3;
  assertPositive(fn, 't', T);
  const S = opts.samples ?? 4096;
  assertInteger(fn, 'samples', S, 2);
  const bs = opts.batchSize ?? 1024;
  assertInteger(fn, 'batchSize', bs, 1);
  const sampleShape = data.shape.slice(1);
  const d = data.size / N;
  const [mean, v] = tf.tidy(() => {
    const flat = tf.reshape(data, [N, d]);
    const m = tf.mean(flat, 0);
    return [m, tf.mean(tf.mean(tf.square(tf.sub(flat, m)), 0))];
  });
  const s2 = T + (v.dataSync()[0] as number);
  v.dispose();
  const logw = new Float64Array(S);
  const keys = split(key, Math.ceil(S / bs));
  try {
    for (let start = 0, i = 0; start < S; start += bs, i++) {
      const b = Math.min(bs, S - start);
      const lw = tf.tidy(() => {
        const z = normal(keys[i] as Key, [b, d]);
        const y = tf.add(mean, tf.mul(z, Math.sqrt(s2)));
        const u = energy(tf.reshape(y, [b, ...sampleShape]), tf.fill([b], T));
        checkPerSample(fn, 'energy', u, b);
        const logg = tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), 0.5 * d * Math.log(2 * Math.PI * s2));
        return tf.neg(tf.add(u, logg));
      });
      logw.set(lw.dataSync(), start);
      lw.dispose();
    }
  } finally {
    mean.dispose();
  }
  let mx = -Infinity;
  for (const l of logw) mx = Math.max(mx, l);
  if (!Number.isFinite(mx))
    throw new ValueError(`${fn}: the energy is not finite at the importance samples (max log-weight ${mx})`);
  let s1 = 0;
  let sq = 0;
  for (const l of logw) {
    const w = Math.exp(l - mx);
    s1 += w;
    sq += w * w;
  }
  const wbar = s1 / S;
  const varW = Math.max(0, sq / S - wbar * wbar);
  const logZ = mx + Math.log(wbar);
  const logZStdError = Math.sqrt(varW / (S - 1)) / wbar;
  return {
    logZ,
    logZStdError,
    energy: (y, t) => tf.tidy(() => tf.add(energy(y, t), logZ)),
  };
}

/** Options of {@link logProb}. */
export interface LogProbOptions {
  /** The time at which to evaluate (the smallest trained t approximates t = 0); default 0. */
  readonly t?: number;
  /**
   * Quantization levels of the data for bits/dim (e.g. 256 for 8-bit images scaled to [0, 1]: adds
   * log₂ 256 = 8 bits/dim, the usual discrete-data convention); default 1 (continuous density).
   */
  readonly levels?: number;
}

/** log-probabilities of a batch; see {@link logProb}. */
export interface LogProbResult {
  /** log p(x, t) in nats, [B]. */
  readonly nats: tf.Tensor;
  /** −log₂ p(x, t)/d + log₂(levels), bits per dimension, [B]. */
  readonly bitsPerDim: tf.Tensor;
}

/**
 * log p(x, t) of a normalized energy (from {@link normalizeEnergy}; Guth, Kadkhodaie & Simoncelli's
 * test NLL), in nats and in bits per dimension: nats = −U(x, t), bits/dim = U(x, t)/(d ln 2) +
 * log₂(levels). `x` is [B, ...]; the caller owns both results.
 */
export function logProb(energy: ConditionedEnergyFn, x: tf.Tensor, opts: LogProbOptions = {}): LogProbResult {
  const fn = 'logProb';
  const B = checkBatch(fn, 'x', x);
  const t = opts.t ?? 0;
  if (!(t >= 0) || !Number.isFinite(t)) throw new ValueError(`${fn}: 't' must be a finite number >= 0, got ${t}`);
  const levels = opts.levels ?? 1;
  assertPositive(fn, 'levels', levels);
  const d = x.size / B;
  const u = tf.tidy(() => energy(x, tf.fill([B], t)));
  checkPerSample(fn, 'energy', u, B);
  const out = tf.tidy(() => ({
    nats: tf.neg(u),
    bitsPerDim: tf.add(tf.div(u, d * Math.LN2), Math.log2(levels)),
  }));
  u.dispose();
  return out;
}
