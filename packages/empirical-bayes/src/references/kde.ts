import * as tf from '@tensorflow/tfjs-core';
import {
  assertFloat,
  assertInteger,
  assertPositive,
  assertRank,
  type Denoiser,
  type EnergyFn,
  type ScoreFn,
  ShapeError,
  ValueError,
} from '@walkjump/tensor';

/** Options of {@link gaussianKdeEnergy}. */
export interface GaussianKdeOptions {
  /**
   * Largest number of logits (batch rows × centres) held at once; the batch is processed in blocks
   * of ⌊maxBlockElements / N⌋ rows (at least 1). Default 2²² (16 MiB of float32).
   */
  readonly maxBlockElements?: number;
}

/** The closed-form energy, score and denoiser of a Gaussian kernel density; see {@link gaussianKdeEnergy}. */
export interface GaussianKde {
  /** E(y) = −log p(y), exactly (normalizing constant included); [B, ...] → [B]. */
  readonly energy: EnergyFn;
  /** ∇log p(y) = (x̂(y) − y)/σ², in closed form (no autodiff); same shape as y. */
  readonly score: ScoreFn;
  /** The posterior mean x̂(y) = Σ_n w_n(y) c_n, w = softmax_n(−‖y − c_n‖²/(2σ²)); same shape as y. */
  readonly denoiser: Denoiser;
  /** Frees the cached squared norms of the centres (one [N] tensor); the centres stay the caller's. */
  dispose(): void;
}

/**
 * The Gaussian kernel density (a mixture of N equal-weight isotropic Gaussians) of a finite set of
 * centres, p(y) = (1/N) Σ_n N(y; c_n, σ²I), the density of Y = X + N(0, σ²I) when X is uniform on
 * the centres — so its denoiser is the nonparametric empirical-Bayes estimator with the training
 * set as prior, and Tweedie's formula (Saremi & Hyvärinen 2019, eq. 2) holds exactly:
 * x̂(y) = y + σ²∇log p(y). `centres` is [N, ...] (samples flattened to d features); the returned
 * functions take y of shape [B, ...] with the same per-sample shape. Distances come from one matrix
 * product ‖y‖² − 2⟨y, c⟩ + ‖c‖², so [B, N, d] is never materialized, and the batch is processed in
 * blocks so that at most `maxBlockElements` logits exist at once (60 000 × 784 centres work). The
 * functions close over `centres` without copying: keep it alive while they are used and dispose it
 * yourself afterwards; call `dispose()` to free the one cached [N] tensor. Each call's result is
 * owned by the caller.
 */
export function gaussianKdeEnergy(centres: tf.Tensor, sigma: number, opts: GaussianKdeOptions = {}): GaussianKde {
  const fn = 'gaussianKdeEnergy';
  assertPositive(fn, 'sigma', sigma);
  if (!(centres instanceof tf.Tensor)) throw new ShapeError(`${fn}: 'centres' must be a tensor [N, ...]`);
  if (centres.rank < 2) assertRank(fn, 'centres', centres, 2);
  assertFloat(fn, 'centres', centres);
  const N = centres.shape[0]!;
  if (N === 0)
    throw new ShapeError(`${fn}: 'centres' must hold at least one centre, got shape [${centres.shape.join(', ')}]`);
  const maxBlockElements = opts.maxBlockElements ?? 2 ** 22;
  assertInteger(fn, 'maxBlockElements', maxBlockElements, 1);
  const sampleShape = centres.shape.slice(1);
  const d = centres.size / N;
  const s2 = sigma * sigma;
  const logNorm = Math.log(N) + 0.5 * d * Math.log(2 * Math.PI * s2);
  if (!Number.isFinite(logNorm))
    throw new ValueError(`${fn}: the normalizing constant overflowed (d = ${d}, σ = ${sigma})`);
  const rowsPerBlock = Math.max(1, Math.floor(maxBlockElements / N));
  const c2 = (): tf.Tensor2D => tf.reshape(centres, [N, d]) as tf.Tensor2D;
  // ‖c_n‖² as a column [N, 1], cached: the one tensor this closure owns.
  let cc: tf.Tensor | null = tf.tidy(() => tf.reshape(tf.sum(tf.square(c2()), 1), [N, 1]));

  const check = (name: string, y: tf.Tensor): number => {
    if (cc === null) throw new ValueError(`${fn}.${name}: called after dispose()`);
    const ok = y.rank === sampleShape.length + 1 && sampleShape.every((s, i) => s === y.shape[i + 1]);
    if (!ok) {
      throw new ShapeError(
        `${fn}.${name}: 'y' must have shape [B, ${sampleShape.join(', ')}], got [${y.shape.join(', ')}]`,
      );
    }
    return y.shape[0]!;
  };

  // Logits −‖y_b − c_n‖²/(2σ²) laid out [N, b] (the layout in which wasm's matMul is fast), per
  // block of batch rows; `visit` returns a per-block result and the blocks are concatenated.
  const byBlocks = (y: tf.Tensor, B: number, visit: (logits: tf.Tensor2D, c: tf.Tensor2D) => tf.Tensor): tf.Tensor => {
    const y2 = tf.reshape(y, [B, d]) as tf.Tensor2D;
    const c = c2();
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < B; start += rowsPerBlock) {
      const b = Math.min(rowsPerBlock, B - start);
      const yb = b === B ? y2 : (tf.slice(y2, [start, 0], [b, d]) as tf.Tensor2D);
      const yy = tf.reshape(tf.sum(tf.square(yb), 1), [1, b]);
      const dist2 = tf.add(tf.sub(cc as tf.Tensor, tf.mul(tf.matMul(c, yb, false, true), 2)), yy);
      parts.push(visit(tf.div(dist2, -2 * s2) as tf.Tensor2D, c));
    }
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
  };

  const energy: EnergyFn = (y) => {
    const B = check('energy', y);
    return tf.tidy(() =>
      // log-sum-exp over the centres; shifting by the max is exact and its derivative cancels, so
      // autodiff through `energy` gives the true score.
      byBlocks(y, B, (logits) => {
        const m = tf.max(logits, 0, true);
        const lse = tf.add(m, tf.log(tf.sum(tf.exp(tf.sub(logits, m)), 0, true)));
        return tf.sub(logNorm, tf.reshape(lse, [-1]));
      }),
    );
  };

  const denoiser: Denoiser = (y) => {
    const B = check('denoiser', y);
    return tf.tidy(() => {
      const xh = byBlocks(y, B, (logits, c) => {
        const w = tf.exp(tf.sub(logits, tf.max(logits, 0, true)));
        const z = tf.reshape(tf.sum(w, 0), [-1, 1]);
        return tf.div(tf.matMul(tf.transpose(w), c), z);
      });
      return tf.reshape(xh, y.shape);
    });
  };

  const score: ScoreFn = (y) => {
    check('score', y);
    return tf.tidy(() => tf.div(tf.sub(denoiser(y), y), s2));
  };

  const dispose = (): void => {
    cc?.dispose();
    cc = null;
  };

  return { energy, score, denoiser, dispose };
}
