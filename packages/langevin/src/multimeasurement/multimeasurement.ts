import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type ConditionedScoreFn,
  foldIn,
  type Key,
  normal,
  type ScoreFn,
  ShapeError,
  ValueError,
} from '@walkjump/tensor';
import { type Kernel, type KernelState, type LangevinTarget, sameShape, ula } from '../kernels/overdamped.ts';

/**
 * A noise-conditioned score `score(y, s)` ≈ ∇log q_s(y), q_s the density of X + sN(0, I), called with
 * a number s > 0 (e.g. an exact mixture score, or a noise-conditioned network).
 */
export type NoiseConditionedScore = ConditionedScoreFn;

/** Options shared by {@link sequentialMultimeasurement} and {@link jointMultimeasurement}. */
export interface MultimeasurementOptions {
  /** ∇log q_s(y) at any noise level s (called with s = σ/√m). */
  readonly score: NoiseConditionedScore;
  /** σ, the noise of each measurement Y_m = X + σN(0, I), > 0. */
  readonly sigma: number;
  /** M, the number of measurements, ≥ 1. */
  readonly measurements: number;
  /** [C, ...]: chains and the shape of one x. */
  readonly shape: readonly number[];
  /** Langevin steps: per measurement (SMS) or in total (JMS), ≥ 1. */
  readonly steps: number;
  /** δ of the default kernel `ula(target, { stepSize: δ })` (eq. 42 parameterization); ignored with `kernel`. */
  readonly stepSize?: number;
  /** Builds the Langevin kernel for a target `{ score }` (e.g. `(t) => sachsUnderdamped(t, …)`). */
  readonly kernel?: (target: LangevinTarget) => Kernel<KernelState>;
}

/** Result of the multimeasurement samplers; the caller owns the tensors. */
export interface MultimeasurementResult {
  /** The jump x̂ = E[X | y₁..y_M] = ȳ + (σ²/M)∇log q_{σ/√M}(ȳ), [C, ...]. */
  readonly sample: tf.Tensor;
  /** ȳ = (y₁ + … + y_M)/M, [C, ...]. */
  readonly mean: tf.Tensor;
}

/**
 * E[X | y₁..y_m] = ȳ_{1:m} + (σ²/m)∇log q_{σ/√m}(ȳ_{1:m}) (Bach, slides, "Multiple measurements";
 * Saremi & Srivastava 2022, eq. 7): the multimeasurement Bayes estimator, as a function of the mean
 * of m measurements. The caller owns the result.
 */
export function multimeasurementDenoise(
  score: NoiseConditionedScore,
  sigma: number,
  mean: tf.Tensor,
  m: number,
): tf.Tensor {
  return tf.tidy(() => tf.add(mean, tf.mul(score(mean, sigma / Math.sqrt(m)), (sigma * sigma) / m)));
}

/**
 * The score of the m-th measurement given the previous ones (Bach, slides, "Sequential denoising"):
 * ∇_{y_m} log p(y_m | y₁..y_{m−1}) = (1/σ²)[ȳ_{1:m} − y_m + (σ²/m)∇log q_{σ/√m}(ȳ_{1:m})], with
 * ȳ_{1:m} = (`previousSum` + y_m)/m. For m = 1 (`previousSum` = 0) it is ∇log q_σ(y₁). Returns a
 * {@link ScoreFn} of y_m [C, ...]; `previousSum` [C, ...] is not disposed and must outlive the score.
 */
export function sequentialConditionalScore(
  score: NoiseConditionedScore,
  sigma: number,
  previousSum: tf.Tensor,
  m: number,
): ScoreFn {
  const s2 = sigma * sigma;
  const sm = sigma / Math.sqrt(m);
  return (y) =>
    tf.tidy(() => {
      const mean = tf.div(tf.add(previousSum, y), m);
      return tf.div(tf.sub(tf.add(mean, tf.mul(score(mean, sm), s2 / m)), y), s2);
    });
}

function readOpts(fn: string, opts: MultimeasurementOptions): (t: LangevinTarget) => Kernel<KernelState> {
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(`${fn}: options { score, sigma, measurements, shape, steps } are required`);
  if (typeof opts.score !== 'function') throw new ValueError(`${fn}: 'score' must be a function (y, s) ↦ ∇log q_s(y)`);
  assertPositive(fn, 'sigma', opts.sigma);
  assertInteger(fn, 'measurements', opts.measurements, 1);
  assertInteger(fn, 'steps', opts.steps, 1);
  const shape = opts.shape;
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new ShapeError(`${fn}: 'shape' must be [C, ...] (rank ≥ 2), got ${JSON.stringify(shape)}`);
  }
  if (opts.kernel !== undefined) {
    if (typeof opts.kernel !== 'function') throw new ValueError(`${fn}: 'kernel' must be a function target ↦ Kernel`);
    return opts.kernel;
  }
  if (opts.stepSize === undefined) throw new ValueError(`${fn}: give 'stepSize' (for ULA) or 'kernel'`);
  assertPositive(fn, 'stepSize', opts.stepSize);
  const stepSize = opts.stepSize;
  return (t) => ula(t, { stepSize });
}

/** Runs `steps` steps of `kernel` from `init` with keys foldIn(key, k); returns the final position (caller owns). */
function runChain(kernel: Kernel<KernelState>, key: Key, init: tf.Tensor, steps: number): tf.Tensor {
  let state = kernel.init(init);
  try {
    for (let k = 0; k < steps; k++) {
      const [next, info] = kernel.step(foldIn(key, k), state);
      tf.dispose(state as unknown as tf.TensorContainer);
      tf.dispose(info as unknown as tf.TensorContainer);
      state = next;
    }
    return tf.clone(state.position);
  } finally {
    tf.dispose(state as unknown as tf.TensorContainer);
  }
}

/**
 * Sequential multimeasurement sampling, SMS (Saremi, Park & Bach 2023; Bach, slides "Sequential
 * denoising"): sample y₁ ~ q_σ, then each y_m ~ p(y_m | y₁..y_{m−1}) in turn by a Langevin chain of
 * `steps` steps on the conditional score of {@link sequentialConditionalScore}, and jump to
 * x̂ = E[X | y₁..y_M]. Each conditional is more log-concave than the last (conditioning shrinks
 * cov(X | y)), so for σ large enough every chain is on a log-concave target, and σ/√M small makes x̂
 * sharp. The chain for y_m starts at E[X | y₁..y_{m−1}] + σε (y₁ at σε). Measurement m, step k uses
 * `foldIn(foldIn(key, m), k)`. The caller owns the result.
 */
export function sequentialMultimeasurement(key: Key, opts: MultimeasurementOptions): MultimeasurementResult {
  const fn = 'sequentialMultimeasurement';
  const makeKernel = readOpts(fn, opts);
  const { sigma, measurements: M, shape, score } = opts;
  let sum: tf.Tensor = tf.zeros([...shape]);
  try {
    for (let m = 1; m <= M; m++) {
      const km = foldIn(key, m);
      const prevSum = sum;
      const start = tf.tidy(() => {
        const eps = tf.mul(normal(foldIn(km, 0x7fffffff), shape), sigma);
        return m === 1 ? eps : tf.add(multimeasurementDenoise(score, sigma, tf.div(prevSum, m - 1), m - 1), eps);
      });
      let ym: tf.Tensor;
      try {
        const kernel = makeKernel({ score: sequentialConditionalScore(score, sigma, prevSum, m) });
        ym = runChain(kernel, km, start, opts.steps);
      } finally {
        start.dispose();
      }
      if (!sameShape(ym.shape, shape))
        throw new ShapeError(`${fn}: the kernel returned [${ym.shape.join(', ')}], expected [${shape.join(', ')}]`);
      sum = tf.add(prevSum, ym);
      tf.dispose([prevSum, ym]);
    }
    const total = sum;
    return tf.tidy(() => {
      const mean = tf.div(total, M);
      return { sample: multimeasurementDenoise(score, sigma, mean, M), mean };
    });
  } finally {
    sum.dispose();
  }
}

/**
 * Joint multimeasurement sampling, JMS (Saremi & Srivastava 2022; Bach, slides "SMS vs JMS"): one
 * Langevin chain on all M measurements at once, positions [C, M, ...], on the M-density's score
 * ∇_{y_m} log p(y₁..y_M) = (1/σ²)[ȳ − y_m + (σ²/M)∇log q_{σ/√M}(ȳ)] (the m = M case of the
 * sequential formula), `steps` steps in total, from independent y_m = σε; then the jump x̂ = E[X | y].
 * Multimodal p(x) stays multimodal in ȳ, so JMS can misweigh modes where SMS does not. Step k uses
 * `foldIn(key, k)`. The caller owns the result.
 */
export function jointMultimeasurement(key: Key, opts: MultimeasurementOptions): MultimeasurementResult {
  const fn = 'jointMultimeasurement';
  const makeKernel = readOpts(fn, opts);
  const { sigma, measurements: M, shape, score } = opts;
  const [C, ...rest] = shape as [number, ...number[]];
  const jointShape = [C, M, ...rest];
  const s2 = sigma * sigma;
  const sM = sigma / Math.sqrt(M);
  const jointScore: ScoreFn = (y) =>
    tf.tidy(() => {
      const mean = tf.mean(y, 1);
      const xhat = tf.add(mean, tf.mul(score(mean, sM), s2 / M));
      return tf.div(tf.sub(tf.expandDims(xhat, 1), y), s2);
    });
  const start = tf.tidy(() => tf.mul(normal(foldIn(key, 0x7fffffff), jointShape), sigma));
  let y: tf.Tensor;
  try {
    y = runChain(makeKernel({ score: jointScore }), key, start, opts.steps);
  } finally {
    start.dispose();
  }
  const yy = y;
  try {
    return tf.tidy(() => {
      const mean = tf.mean(yy, 1);
      return { sample: multimeasurementDenoise(score, sigma, mean, M), mean };
    });
  } finally {
    yy.dispose();
  }
}
