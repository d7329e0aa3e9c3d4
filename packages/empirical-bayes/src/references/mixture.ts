import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type Key,
  normal,
  ShapeError,
  split,
  uniform,
  ValueError,
} from '@walkjump/tensor';
import { checkBatch } from '../internal/checks.ts';

/** Options of {@link gaussianMixtureDiffusion}. */
export interface GaussianMixtureSpec {
  /** Component means, K rows of d numbers. */
  readonly means: readonly (readonly number[])[];
  /** Isotropic component variances s_k² > 0 (one per component, or one number for all). */
  readonly variances: number | readonly number[];
  /** Mixture weights (normalized inside); default uniform. */
  readonly weights?: readonly number[];
}

/** A time argument: a number, or a [B] tensor (one t per sample). */
export type TimeArg = number | tf.Tensor;

/**
 * The exact densities of Y_t = X + √t Z for a Gaussian-mixture X; see {@link gaussianMixtureDiffusion}.
 * Every function takes y [B, d] and t (a number ≥ 0, or a [B] tensor) and returns a tensor the caller owns.
 */
export interface GaussianMixtureDiffusion {
  readonly dim: number;
  /** log q_t(y), normalized, [B]. */
  logProb(y: tf.Tensor, t: TimeArg): tf.Tensor;
  /** U(y, t) = −log q_t(y), [B] (the dual-score-matching energy, exactly). */
  energy(y: tf.Tensor, t: TimeArg): tf.Tensor;
  /** ∇_y log q_t(y) = Σ_k r_k(y)(μ_k − y)/(s_k² + t), [B, d]. */
  score(y: tf.Tensor, t: TimeArg): tf.Tensor;
  /** ∂_t log q_t(y) = Σ_k r_k(y)[‖y − μ_k‖²/(2(s_k² + t)²) − d/(2(s_k² + t))], [B]. */
  timeScore(y: tf.Tensor, t: TimeArg): tf.Tensor;
  /** E[X | Y_t = y] = y + t∇_y log q_t(y), [B, d]. */
  denoiser(y: tf.Tensor, t: TimeArg): tf.Tensor;
  /** n draws of X (t = 0), [n, d]. */
  sample(key: Key, n: number): tf.Tensor;
}

/**
 * Exact log q_t(y) of a Gaussian mixture X ~ Σ_k π_k N(μ_k, s_k²I_d) convolved with N(0, tI) for
 * every t ≥ 0: q_t = Σ_k π_k N(μ_k, (s_k² + t)I). With the score ∇_y log q_t, the time score
 * ∂_t log q_t and the posterior mean, it is the ground truth for dual score matching (Guth,
 * Kadkhodaie & Simoncelli: U(y, t) = −log q_t(y)), for Tweedie's formula (Saremi & Hyvärinen 2019,
 * eq. 2 with σ² = t) and for effective dimensionality. Components are computed by broadcasting
 * [B, K, d]: meant for small K (use {@link gaussianKdeEnergy} for thousands of centres).
 */
export function gaussianMixtureDiffusion(spec: GaussianMixtureSpec): GaussianMixtureDiffusion {
  const fn = 'gaussianMixtureDiffusion';
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.means) || spec.means.length === 0) {
    throw new ValueError(`${fn}: 'means' must be a non-empty array of rows`);
  }
  const K = spec.means.length;
  const d = (spec.means[0] as readonly number[]).length;
  if (d === 0 || !spec.means.every((m) => m.length === d && m.every(Number.isFinite))) {
    throw new ShapeError(`${fn}: 'means' must be K rows of the same length d ≥ 1 of finite numbers`);
  }
  const vars = typeof spec.variances === 'number' ? new Array<number>(K).fill(spec.variances) : spec.variances.slice();
  if (vars.length !== K) throw new ShapeError(`${fn}: 'variances' must have ${K} entries, got ${vars.length}`);
  vars.forEach((v, i) => {
    assertPositive(fn, `variances[${i}]`, v);
  });
  const w = spec.weights ?? new Array<number>(K).fill(1);
  if (w.length !== K) throw new ShapeError(`${fn}: 'weights' must have ${K} entries, got ${w.length}`);
  w.forEach((v, i) => {
    assertPositive(fn, `weights[${i}]`, v);
  });
  const wsum = w.reduce((a, b) => a + b, 0);
  const logW = w.map((v) => Math.log(v / wsum));
  const meansFlat = spec.means.flatMap((m) => m as number[]);

  const prep = (name: string, y: tf.Tensor, t: TimeArg): { B: number; v: tf.Tensor } => {
    const B = checkBatch(`${fn}.${name}`, 'y', y, 2);
    if (y.rank !== 2 || y.shape[1] !== d)
      throw new ShapeError(`${fn}.${name}: 'y' must have shape [B, ${d}], got [${y.shape.join(', ')}]`);
    let tt: tf.Tensor;
    if (typeof t === 'number') {
      if (!(t >= 0) || !Number.isFinite(t))
        throw new ValueError(`${fn}.${name}: 't' must be a finite number >= 0, got ${t}`);
      tt = tf.scalar(t);
    } else {
      if (t.rank !== 1 || t.shape[0] !== B)
        throw new ShapeError(`${fn}.${name}: 't' must be a number or a [${B}] tensor, got [${t.shape.join(', ')}]`);
      tt = tf.reshape(t, [B, 1]);
    }
    return { B, v: tf.add(tf.tensor2d(vars, [1, K]), tt) }; // [1 or B, K]: s_k² + t
  };
  // per-component pieces: dist2 [B, K], v [·, K], log-responsibility logits [B, K]
  const parts = (y: tf.Tensor, v: tf.Tensor) => {
    const mu = tf.tensor3d(meansFlat, [1, K, d]);
    const diff = tf.sub(tf.expandDims(y, 1), mu); // [B, K, d]
    const dist2 = tf.sum(tf.square(diff), 2);
    const logits = tf.sub(
      tf.sub(tf.tensor2d(logW, [1, K]), tf.div(dist2, tf.mul(v, 2))),
      tf.mul(tf.log(tf.mul(v, 2 * Math.PI)), d / 2),
    );
    return { diff, dist2, logits };
  };
  const lse = (l: tf.Tensor): tf.Tensor => {
    const m = tf.max(l, 1, true);
    return tf.reshape(tf.add(m, tf.log(tf.sum(tf.exp(tf.sub(l, m)), 1, true))), [-1]);
  };
  const resp = (l: tf.Tensor): tf.Tensor => {
    const e = tf.exp(tf.sub(l, tf.max(l, 1, true)));
    return tf.div(e, tf.sum(e, 1, true));
  };

  const logProb = (y: tf.Tensor, t: TimeArg): tf.Tensor =>
    tf.tidy(() => {
      const { v } = prep('logProb', y, t);
      return lse(parts(y, v).logits);
    });
  const score = (y: tf.Tensor, t: TimeArg): tf.Tensor =>
    tf.tidy(() => {
      const { v } = prep('score', y, t);
      const { diff, logits } = parts(y, v);
      const r = tf.div(resp(logits), v); // r_k/(s_k² + t)
      return tf.neg(tf.sum(tf.mul(tf.expandDims(r, 2), diff), 1));
    });
  const timeScore = (y: tf.Tensor, t: TimeArg): tf.Tensor =>
    tf.tidy(() => {
      const { v } = prep('timeScore', y, t);
      const { dist2, logits } = parts(y, v);
      const per = tf.sub(tf.div(dist2, tf.mul(tf.square(v), 2)), tf.div(d / 2, v));
      return tf.sum(tf.mul(resp(logits), per), 1);
    });
  return {
    dim: d,
    logProb,
    energy: (y, t) => tf.tidy(() => tf.neg(logProb(y, t))),
    score,
    timeScore,
    denoiser: (y, t) =>
      tf.tidy(() => {
        const s = score(y, t);
        const tt = typeof t === 'number' ? tf.scalar(t) : tf.reshape(t, [-1, 1]);
        return tf.add(y, tf.mul(s, tt));
      }),
    sample: (key, n) => {
      assertInteger(`${fn}.sample`, 'n', n, 1);
      const [kc, kz] = split(key, 2) as [Key, Key];
      return tf.tidy(() => {
        const u = uniform(kc, [n]).dataSync();
        const cum: number[] = [];
        let acc = 0;
        for (const lw of logW) cum.push((acc += Math.exp(lw)));
        const comp = Array.from(u, (p) => {
          const k = cum.findIndex((c) => p < c);
          return k < 0 ? K - 1 : k;
        });
        const mu = tf.tensor2d(
          comp.flatMap((k) => spec.means[k] as number[]),
          [n, d],
        );
        const sd = tf.tensor2d(
          comp.map((k) => Math.sqrt(vars[k] as number)),
          [n, 1],
        );
        return tf.add(mu, tf.mul(normal(kz, [n, d]), sd));
      });
    },
  };
}
