import * as tf from '@tensorflow/tfjs-core';
import { type EnergyFn, type Key, normal, type ScoreFn, ShapeError, split, ValueError } from '@walkjump/tensor';
import {
  checkBatch,
  checkFiniteData,
  checkOpts,
  checkOutShape,
  checkPerSample,
  perMeasurement,
  resolveSigmas,
} from '../internal/checks.ts';

/** A model of the M-density given by its energy f(y) = −log p(y) + c ([B, M, ...] → [B]) or its score. */
export type EnergyOrScore = { readonly energy: EnergyFn } | { readonly score: ScoreFn };

/** Noise options shared by the multimeasurement losses. */
export interface MultimeasurementNoiseOptions {
  /** Noise levels [σ_1 … σ_M] (unequal allowed), or one σ for the σ ⊗ M model. */
  readonly sigma: number | readonly number[];
  /** Number of measurements M ≥ 1 when `sigma` is a number (default 1). */
  readonly M?: number;
  /** Check `x` for NaN/±∞ (one scalar read-back). Default true. */
  readonly checkFinite?: boolean;
}

interface Prepared {
  readonly B: number;
  readonly sigmas: number[];
  readonly M: number;
  readonly ms: number[]; // the shape [B, M, ...] of y
}

const prepare = (fn: string, x: tf.Tensor, opts: MultimeasurementNoiseOptions): Prepared => {
  checkOpts(fn, opts, '{ sigma }');
  const sigmas = resolveSigmas(fn, opts.sigma, opts.M);
  const B = checkBatch(fn, 'x', x);
  if (opts.checkFinite !== false) checkFiniteData(fn, 'x', x);
  const M = sigmas.length;
  return { B, sigmas, M, ms: [B, M, ...x.shape.slice(1)] };
};

/**
 * Draws the multimeasurement noisy data y_m = x + σ_m ε_m, ε_m ~ N(0, I), m ∈ [M] (Saremi &
 * Srivastava 2022, eq. 6), stacked as y [B, M, ...] for x [B, ...]; ε is `normal(key, [B, M, ...])`.
 * The caller owns the result.
 */
export function multimeasurementNoise(key: Key, x: tf.Tensor, opts: MultimeasurementNoiseOptions): tf.Tensor {
  return drawNoisy(key, x, prepare('multimeasurementNoise', x, opts));
}

const drawNoisy = (key: Key, x: tf.Tensor, p: Prepared): tf.Tensor => {
  const eps = normal(key, p.ms);
  try {
    return tf.tidy(() => tf.add(tf.expandDims(x, 1), tf.mul(eps, perMeasurement(p.sigmas, p.ms.length))));
  } finally {
    eps.dispose();
  }
};

/** Validates, draws y = {@link multimeasurementNoise} once, and returns `body(y, p)` (y disposed after). */
const onNoisy = (
  fn: string,
  key: Key,
  x: tf.Tensor,
  opts: MultimeasurementNoiseOptions,
  body: (y: tf.Tensor, p: Prepared) => tf.Tensor,
): tf.Tensor => {
  const p = prepare(fn, x, opts);
  const y = drawNoisy(key, x, p);
  try {
    return tf.tidy(() => body(y, p));
  } finally {
    y.dispose();
  }
};

const scoreOfModel = (fn: string, model: EnergyOrScore, y: tf.Tensor, B: number): tf.Tensor => {
  if (model !== null && typeof model === 'object' && 'energy' in model && typeof model.energy === 'function') {
    const g = tf.grad((z: tf.Tensor) => {
      const e = model.energy(z);
      checkPerSample(fn, 'energy', e, B);
      return tf.sum(e);
    })(y);
    return tf.neg(g);
  }
  if (model !== null && typeof model === 'object' && 'score' in model && typeof model.score === 'function') {
    const s = model.score(y);
    checkOutShape(fn, 'score', s, y.shape);
    return s;
  }
  throw new ValueError(`${fn}: 'model' must be { energy } or { score } (functions)`);
};

const perSampleSq = (r: tf.Tensor, B: number): tf.Tensor => tf.sum(tf.reshape(tf.square(r), [B, -1]), 1);

/**
 * The neural-empirical-Bayes loss for Gaussian M-densities (Saremi & Srivastava 2022, eqs. 11–14),
 * per sample: ℓ_b = M⁻¹ Σ_m ‖x_b − x̂^(m)(y_b)‖² with x̂^(m)(y) = y_m + σ_m²∇_m log p(y)
 * (= y_m − σ_m²∇_m f(y)), unequal σ_m allowed; y = `multimeasurementNoise(key, x, opts)`.
 * With M = 1 it is the DEEN loss (Saremi & Hyvärinen 2019, eq. 3). `model` is `{ energy }` (double
 * backprop) or `{ score }` on y [B, M, ...]. Returns [B] for x [B, ...]; the caller reduces and owns
 * it. Its expectation for the exact M-density is the Bayes risk E‖X − E[X|Y]‖².
 */
export function multimeasurementLoss(
  key: Key,
  model: EnergyOrScore,
  x: tf.Tensor,
  opts: MultimeasurementNoiseOptions,
): tf.Tensor {
  const fn = 'multimeasurementLoss';
  return onNoisy(fn, key, x, opts, (y, p) => {
    const s = scoreOfModel(fn, model, y, p.B);
    const s2 = perMeasurement(
      p.sigmas.map((v) => v * v),
      p.ms.length,
    );
    const r = tf.sub(tf.expandDims(x, 1), tf.add(y, tf.mul(s, s2)));
    return tf.div(perSampleSq(r, p.B), p.M);
  });
}

/**
 * The multimeasurement denoising score matching loss (Saremi & Srivastava 2022, eq. 16 / App. B
 * eq. 31), per sample: ℓ_b = Σ_m ‖∇_m log p_θ(y_b) − (x_b − y_{b,m})/σ_m²‖², which equals the
 * M-density score-matching objective (eq. 15) up to a constant. For σ ⊗ M it is σ⁻⁴M times
 * {@link multimeasurementLoss}. Same arguments and result as {@link multimeasurementLoss}.
 */
export function mdsmLoss(key: Key, model: EnergyOrScore, x: tf.Tensor, opts: MultimeasurementNoiseOptions): tf.Tensor {
  const fn = 'mdsmLoss';
  return onNoisy(fn, key, x, opts, (y, p) => {
    const s = scoreOfModel(fn, model, y, p.B);
    const inv = perMeasurement(
      p.sigmas.map((v) => 1 / (v * v)),
      p.ms.length,
    );
    return perSampleSq(tf.sub(s, tf.mul(tf.sub(tf.expandDims(x, 1), y), inv)), p.B);
  });
}

/** A multidenoising network ν: y [B, M, ...] → [B, M, ...] (one estimate of x per measurement). */
export type MultiDenoiserFn = (y: tf.Tensor) => tf.Tensor;

/**
 * The MDAE score parametrization (Saremi & Srivastava 2022, eq. 18): g(y) = (ν(y) − y)/σ², per
 * measurement (σ_m² for unequal levels), so that x̂^(m)(y) = ν_m(y) (eq. 20). Returns a ScoreFn on
 * y [B, M, ...]; the caller owns each result.
 */
export function mdaeScore(nu: MultiDenoiserFn, sigma: number | readonly number[], M?: number): ScoreFn {
  const fn = 'mdaeScore';
  const sigmas = resolveSigmas(fn, sigma, M);
  return (y) =>
    tf.tidy(() => {
      if (y.rank < 2 || y.shape[1] !== sigmas.length)
        throw new ShapeError(`${fn}: 'y' must have shape [B, ${sigmas.length}, ...], got [${y.shape.join(', ')}]`);
      const v = nu(y);
      checkOutShape(fn, 'nu', v, y.shape);
      return tf.mul(
        tf.sub(v, y),
        perMeasurement(
          sigmas.map((s) => 1 / (s * s)),
          y.rank,
        ),
      );
    });
}

/**
 * The multidenoising autoencoder loss (Saremi & Srivastava 2022, eq. 19): with the eq. 18
 * parametrization the NEB loss becomes ℓ_b = M⁻¹ ‖x_b ⊗ M − ν(y_b)‖² = M⁻¹ Σ_m ‖x_b − ν_m(y_b)‖²
 * (for unequal σ_m too, since x̂^(m) = ν_m). `nu` maps y [B, M, ...] to [B, M, ...]. Returns [B];
 * the caller reduces and owns it.
 */
export function mdaeLoss(key: Key, nu: MultiDenoiserFn, x: tf.Tensor, opts: MultimeasurementNoiseOptions): tf.Tensor {
  const fn = 'mdaeLoss';
  return onNoisy(fn, key, x, opts, (y, p) => {
    const v = nu(y);
    checkOutShape(fn, 'nu', v, y.shape);
    return tf.div(perSampleSq(tf.sub(tf.expandDims(x, 1), v), p.B), p.M);
  });
}

/** A metaencoder h(y, ν) → [B] (Saremi & Srivastava 2022, eq. 21). */
export type MetaencoderFn = (y: tf.Tensor, nu: tf.Tensor) => tf.Tensor;

/**
 * The MEM² energy (Saremi & Srivastava 2022, eq. 21): f(y) = Σ_m ‖y_m − ν_m(y)‖²/(2σ_m²) +
 * h(y, ν(y)) (= ‖y − ν(y)‖²/(2σ²) + h for σ ⊗ M), with the metaencoder h optional. Returns an
 * EnergyFn on y [B, M, ...] → [B]; the caller owns each result.
 */
export function mem2Energy(
  nu: MultiDenoiserFn,
  sigma: number | readonly number[],
  opts: { readonly M?: number; readonly metaencoder?: MetaencoderFn } = {},
): EnergyFn {
  const fn = 'mem2Energy';
  const sigmas = resolveSigmas(fn, sigma, opts.M);
  const inv = sigmas.map((s) => 1 / (2 * s * s));
  return (y) =>
    tf.tidy(() => {
      if (y.rank < 2 || y.shape[1] !== sigmas.length)
        throw new ShapeError(`${fn}: 'y' must have shape [B, ${sigmas.length}, ...], got [${y.shape.join(', ')}]`);
      const B = y.shape[0] as number;
      const v = nu(y);
      checkOutShape(fn, 'nu', v, y.shape);
      const f = perSampleSq(tf.mul(tf.sub(y, v), tf.sqrt(perMeasurement(inv, y.rank))), B);
      if (opts.metaencoder === undefined) return f;
      const h = opts.metaencoder(y, v);
      checkPerSample(fn, 'metaencoder', h, B);
      return tf.add(f, h);
    });
}

/** Options of {@link mem2Loss}. */
export interface Mem2LossOptions extends MultimeasurementNoiseOptions {
  /** The optional metaencoder h(y, ν(y)) of eq. 21. */
  readonly metaencoder?: MetaencoderFn;
}

/**
 * The NEB loss (eq. 14) for the MEM² energy of eq. 21 (Saremi & Srivastava 2022, Sec. 4.2):
 * {@link multimeasurementLoss} with `{ energy: mem2Energy(nu, sigma, { metaencoder }) }` (double
 * backprop through ν and h). Returns [B]; the caller reduces and owns it.
 */
export function mem2Loss(key: Key, nu: MultiDenoiserFn, x: tf.Tensor, opts: Mem2LossOptions): tf.Tensor {
  checkOpts('mem2Loss', opts, '{ sigma }');
  const sigmas = resolveSigmas('mem2Loss', opts.sigma, opts.M);
  const energy = mem2Energy(nu, sigmas, opts.metaencoder === undefined ? {} : { metaencoder: opts.metaencoder });
  return multimeasurementLoss(key, { energy }, x, { ...opts, sigma: sigmas, M: sigmas.length });
}

/** The amortized Gaussian posterior q_φ(z | y) of MUVB: mean and log-variance, each [B, d_z]. */
export interface GaussianPosterior {
  readonly mean: tf.Tensor;
  readonly logVar: tf.Tensor;
}

/** The parts of a MUVB model (Saremi & Srivastava 2022, App. C). */
export interface MuvbModel {
  /** The encoder y [B, M, ...] ↦ q_φ(z | y) = N(mean, diag(e^{logVar})). */
  readonly encoder: (y: tf.Tensor) => GaussianPosterior;
  /** The decoder z [B, d_z] ↦ ν_η(z) [B, M, ...]. */
  readonly decoder: (z: tf.Tensor) => tf.Tensor;
  /** The optional metaencoder h_ζ(y, ν(z)) → [B] of the metalikelihood (eq. 22). */
  readonly metaencoder?: MetaencoderFn;
}

/** Options of {@link muvbEnergy}. */
export interface MuvbOptions {
  readonly sigma: number | readonly number[];
  readonly M?: number;
  /** Posterior samples per evaluation (reparametrized); default 1. */
  readonly samples?: number;
}

/**
 * The MUVB energy (Saremi & Srivastava 2022, App. C, eq. 32): the variational free energy
 * f(y) = E_{q_φ(z|y)}[Σ_m ‖y_m − ν_m(z)‖²/(2σ_m²) + h(y, ν(z))] + KL(q_φ(z|y) ‖ N(0, I)), with the
 * expectation by `samples` reparametrized draws z = μ + e^{logVar/2}ξ, ξ = normal(key, [S, B, d_z])
 * (fixed by `key`, so the energy is a deterministic, differentiable function of y) and the KL in
 * closed form ½Σ(μ² + e^{logVar} − 1 − logVar). Returns an EnergyFn on y [B, M, ...] → [B].
 */
export function muvbEnergy(key: Key, model: MuvbModel, opts: MuvbOptions): EnergyFn {
  const fn = 'muvbEnergy';
  checkOpts(fn, opts, '{ sigma }');
  const sigmas = resolveSigmas(fn, opts.sigma, opts.M);
  const S = opts.samples ?? 1;
  if (!Number.isInteger(S) || S < 1) throw new ValueError(`${fn}: 'samples' must be an integer >= 1, got ${String(S)}`);
  const inv = sigmas.map((s) => 1 / (2 * s * s));
  return (y) =>
    tf.tidy(() => {
      if (y.rank < 2 || y.shape[1] !== sigmas.length)
        throw new ShapeError(`${fn}: 'y' must have shape [B, ${sigmas.length}, ...], got [${y.shape.join(', ')}]`);
      const B = y.shape[0] as number;
      const q = model.encoder(y);
      if (q.mean.rank !== 2 || q.mean.shape[0] !== B)
        throw new ShapeError(`${fn}: encoder 'mean' must be [${B}, d_z], got [${q.mean.shape.join(', ')}]`);
      checkOutShape(fn, 'encoder logVar', q.logVar, q.mean.shape);
      const dz = q.mean.shape[1] as number;
      const xi = normal(key, [S, B, dz]);
      const std = tf.exp(tf.mul(q.logVar, 0.5));
      let rec: tf.Tensor = tf.zeros([B]);
      for (let s = 0; s < S; s++) {
        const z = tf.add(q.mean, tf.mul(std, tf.squeeze(tf.slice(xi, [s, 0, 0], [1, B, dz]), [0])));
        const v = model.decoder(z);
        checkOutShape(fn, 'decoder', v, y.shape);
        let term = perSampleSq(tf.mul(tf.sub(y, v), tf.sqrt(perMeasurement(inv, y.rank))), B);
        if (model.metaencoder !== undefined) {
          const h = model.metaencoder(y, v);
          checkPerSample(fn, 'metaencoder', h, B);
          term = tf.add(term, h);
        }
        rec = tf.add(rec, term);
      }
      const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(q.mean), tf.exp(q.logVar)), tf.add(q.logVar, 1)), 1), 0.5);
      return tf.add(tf.div(rec, S), kl);
    });
}

/** Options of {@link muvbLoss}. */
export interface MuvbLossOptions extends MultimeasurementNoiseOptions {
  readonly samples?: number;
}

/**
 * The NEB loss (eq. 14) with the MUVB energy of eq. 32 (Saremi & Srivastava 2022, Sec. 4.3, App. C):
 * `key` is split into the measurement noise and the posterior draws. Returns [B]; the caller
 * reduces and owns it.
 */
export function muvbLoss(key: Key, model: MuvbModel, x: tf.Tensor, opts: MuvbLossOptions): tf.Tensor {
  checkOpts('muvbLoss', opts, '{ sigma }');
  const [kn, kz] = split(key, 2) as [Key, Key];
  const energy = muvbEnergy(kz, model, {
    sigma: opts.sigma,
    ...(opts.M === undefined ? {} : { M: opts.M }),
    ...(opts.samples === undefined ? {} : { samples: opts.samples }),
  });
  return multimeasurementLoss(kn, { energy }, x, opts);
}
