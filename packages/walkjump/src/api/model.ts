import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { mdaeScore, multimeasurementTweedieFromEnergy, tweedieFromEnergy } from '@walkjump/empirical-bayes';
import { type Activation, type ConvEnergyParams, convEnergy, mlp, type Network } from '@walkjump/nets';
import {
  DataError,
  type Denoiser,
  disposeParams,
  type EnergyFn,
  flattenParams,
  loadSafetensors,
  type Params,
  type ParamsStructure,
  paramsStructure,
  type ScoreFn,
  saveSafetensors,
  scoreOf,
  unflattenParams,
  ValueError,
  writeJsonAtomic,
} from '@walkjump/tensor';

/** The run-folder format this version writes and the newest it reads. */
export const MODEL_FORMAT_VERSION = 1;

/** How a stored model was learned: a {@link FitMethod}, or `'cebm'` (a constrained EBM, {@link fitManifold}). */
export type ModelMethod = FitMethod | 'cebm';

/** The learning methods of {@link fitEnergy}. */
export type FitMethod = 'deen' | 'multimeasurement' | 'mdae' | 'dual';

/** The network of a model, as stored in `model.json`. */
export type NetSpec =
  | {
      /** A multilayer perceptron (`mlp` of `@walkjump/nets`) on the flattened measurements. */
      readonly kind: 'mlp';
      /** Hidden widths. */
      readonly widths: readonly number[];
      /** Hidden nonlinearity. */
      readonly activation: Activation;
    }
  | {
      /**
       * The DEEN ConvNet energy (`convEnergy` of `@walkjump/nets`, Saremi & Hyvärinen 2019, Sec. 7)
       * on images; the M measurements are stacked as channels. Energies only (deen, multimeasurement).
       */
      readonly kind: 'conv';
      /** Channels of the conv layers. */
      readonly channels: readonly number[];
      /** Width of the dense layer. */
      readonly hidden: number;
      /** Nonlinearity. */
      readonly activation: Activation;
    };

/** A model's configuration: everything but the weights; `model.json` of a run folder. */
export interface ModelConfig {
  /** Run-folder format version ({@link MODEL_FORMAT_VERSION} when written by this version). */
  readonly formatVersion: number;
  /** What the network computes: an energy E(y) of the smoothed density (the score is −∇E). */
  readonly kind: 'energy';
  /** How it was learned. */
  readonly method: ModelMethod;
  /** Noise level σ of Y = X + N(0, σ²I). */
  readonly sigma: number;
  /** Number of measurements M (1 for DEEN). */
  readonly M: number;
  /** The energy network. */
  readonly net: NetSpec;
  /** Shape of one clean sample x (without the batch axis), e.g. [2] or [784]. */
  readonly eventShape: readonly number[];
  /** For image data: height, width (pictures are drawn as grids). */
  readonly image?: { readonly height: number; readonly width: number };
  /** For manifold data: the analytic manifold the samples live on. */
  readonly manifold?: ManifoldSpec;
  /** [min, max] of the training data, when it was given as samples (chains start in this box). */
  readonly dataRange?: readonly [number, number];
  /** Description of the training data (e.g. `mnist`, `mixture:ring8`, a file name). */
  readonly data: string;
  /** Training steps done. */
  readonly trainedSteps: number;
  /** Seed of the training run. */
  readonly seed: number;
}

/** An analytic manifold of `@walkjump/manifold` by name and parameters. */
export type ManifoldSpec =
  | { readonly name: 'sphere'; readonly dim: number; readonly radius?: number }
  | { readonly name: 'torus'; readonly R?: number; readonly r?: number };

/**
 * A learned model of the smoothed density p(y) of Y = X + N(0, σ²I) (or of the M-density of
 * Y_m = X + N(0, σ²I), m ∈ [M], Saremi & Srivastava 2022): its energy E(y; θ) (absent for `mdae`,
 * which learns a denoiser ν and gets the score (ν(y) − y)/σ², eq. 18), its score, and its
 * Tweedie/Robbins denoiser x̂(y) (Saremi & Hyvärinen 2019, eq. 2; the mean of the M estimates of
 * eq. 7 for M > 1). The walk space has `walkShape` = [M·d] (flattened measurements). Owns `params`:
 * call {@link EnergyModel.dispose} when done.
 */
export interface EnergyModel {
  /** Configuration (as in `model.json`). */
  readonly config: ModelConfig;
  /** Network weights. */
  readonly params: Params;
  /** E(y) for y of shape [B, M·d] (or [B, ...eventShape] when M = 1), returns [B]; undefined for `mdae`. */
  readonly energy: EnergyFn | undefined;
  /** The score ∇log p(y) (= −∇E) on [B, M·d]. */
  readonly score: ScoreFn;
  /** The jump x̂(y): [B, M·d] → [B, d]. */
  readonly denoise: Denoiser;
  /** Per-sample shape of the walk: [M·d]. */
  readonly walkShape: readonly number[];
  /** Frees the weights. */
  dispose(): void;
}

/**
 * The network of a model configuration as a network on flat inputs [B, M·d] (plus log t for dual):
 * input and output sizes follow from the method and M. A conv net reshapes its input to
 * [B, H, W, M·C] (measurements as channels) and needs `image`.
 */
export function networkOf(
  spec: NetSpec,
  method: ModelMethod = 'deen',
  M = 1,
  d = 1,
  image?: { readonly height: number; readonly width: number },
): Network<Params> {
  if (spec.kind === 'mlp') {
    return mlp({
      widths: spec.widths,
      activation: spec.activation,
      ...(method === 'mdae' && { outDim: M * d }),
    }) as unknown as Network<Params>;
  }
  if (spec.kind !== 'conv')
    throw new ValueError(`net must be mlp or conv, got ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  if (method === 'mdae' || method === 'dual') {
    throw new ValueError(
      `a conv net learns an energy of images: use it with method deen or multimeasurement, not ${method}`,
    );
  }
  if (image === undefined || d % (image.height * image.width) !== 0) {
    throw new ValueError('a conv net needs image data (samples of shape [H, W] or [H, W, C])');
  }
  const { height: H, width: W } = image;
  const C = d / (H * W);
  const conv = convEnergy({ channels: spec.channels, hidden: spec.hidden, activation: spec.activation });
  const toImage = (x: tf.Tensor): tf.Tensor => {
    const B = x.shape[0] as number;
    return tf.reshape(tf.transpose(tf.reshape(x, [B, M, H, W, C]), [0, 2, 3, 1, 4]), [B, H, W, M * C]);
  };
  return {
    name: `flat(${conv.name})`,
    init: (k) => conv.init(k, [H, W, M * C]) as unknown as Params,
    apply: (p, x) =>
      tf.tidy(() =>
        conv.apply(
          p as unknown as ConvEnergyParams,
          M === 1 ? tf.reshape(x, [x.shape[0] as number, H, W, C]) : toImage(x),
        ),
      ),
  };
}

/** Input size of the network for a method: M·d, plus one (log t) for dual score matching. */
export const netInputSize = (method: ModelMethod, M: number, d: number): number => M * d + (method === 'dual' ? 1 : 0);

/**
 * Wraps weights and a configuration into an {@link EnergyModel}; ownership of `params` passes to the
 * model. For `dual`, the energy at the model's σ is U(y, t = σ²) of the noise-conditional network.
 */
export function makeEnergyModel(config: ModelConfig, params: Params): EnergyModel {
  const d = config.eventShape.reduce((p, q) => p * q, 1);
  const { M, sigma, method } = config;
  const net = networkOf(config.net, method, M, d, config.image);
  const mp = params;
  const flat = (y: tf.Tensor): tf.Tensor =>
    y.rank === 2 && y.shape[1] === M * d ? y : tf.reshape(y, [y.shape[0] as number, M * d]);
  const toBMd = (y: tf.Tensor): tf.Tensor => tf.reshape(y, [y.shape[0] as number, M, d]);
  const out1 = (e: tf.Tensor): tf.Tensor => (e.rank === 1 ? e : tf.reshape(e, [e.shape[0] as number]));
  let energy: EnergyFn | undefined;
  let score: ScoreFn;
  let denoise: Denoiser;
  if (method === 'mdae') {
    const nu = (y: tf.Tensor): tf.Tensor => tf.tidy(() => toBMd(net.apply(mp, flat(y))));
    const s = mdaeScore(nu, sigma, M);
    score = (y) => tf.tidy(() => flat(s(toBMd(y))));
    denoise = (y) => tf.tidy(() => tf.mean(nu(y), 1));
  } else {
    const logT = Math.log(sigma * sigma);
    energy =
      method === 'dual'
        ? (y) => tf.tidy(() => out1(net.apply(mp, tf.concat([flat(y), tf.fill([y.shape[0] as number, 1], logT)], 1))))
        : (y) => tf.tidy(() => out1(net.apply(mp, flat(y))));
    score = scoreOf(energy);
    if (method === 'cebm') {
      denoise = () => {
        throw new ValueError(
          'a cebm model is an energy on its manifold, not of a smoothed density: it has no jump (sample it with sampleManifold)',
        );
      };
    } else if (M === 1) denoise = tweedieFromEnergy(energy, sigma);
    else {
      const e = energy;
      const mm = multimeasurementTweedieFromEnergy(
        (y) => e(y),
        Array.from({ length: M }, () => sigma),
      );
      denoise = (y) => tf.tidy(() => mm(toBMd(y)));
    }
  }
  let disposed = false;
  return {
    config,
    params,
    energy,
    score,
    denoise,
    walkShape: [M * d],
    dispose: () => {
      if (!disposed) disposeParams(params);
      disposed = true;
    },
  };
}

/** File names of a saved model inside a run folder. */
export const MODEL_FILES = { config: 'model.json', weights: 'model.safetensors' } as const;

/**
 * Saves `model` into the folder `dir` (created by the caller): `model.safetensors` (float32 weights,
 * named by their path in the parameter tree) and `model.json` (the {@link ModelConfig} and the tree's
 * structure), each written atomically; weights first, so a `model.json` always has its weights.
 * Loading with {@link loadModel} gives bit-identical weights.
 */
export async function saveModel(model: EnergyModel, dir: string): Promise<void> {
  await saveSafetensors(join(dir, MODEL_FILES.weights), flattenParams(model.params), {
    format: 'walkjump-model',
    formatVersion: String(model.config.formatVersion),
  });
  await writeJsonAtomic(join(dir, MODEL_FILES.config), { ...model.config, structure: paramsStructure(model.params) });
}

/**
 * Reads the {@link ModelConfig} of the run folder `dir` and checks its format version. Throws
 * `DataError` when the folder has no model and `ValueError` when it was written by a newer walkjump.
 */
export function readModelConfig(dir: string): ModelConfig & { readonly structure: ParamsStructure } {
  const path = join(dir, MODEL_FILES.config);
  if (!existsSync(path))
    throw new DataError(
      `no model in ${JSON.stringify(dir)}: ${MODEL_FILES.config} is missing (train one with \`walkjump train\`)`,
    );
  let cfg: ModelConfig & { structure: ParamsStructure };
  try {
    cfg = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new DataError(`${path} is not valid JSON (${(cause as Error).message.split('\n')[0]})`, { cause });
  }
  const v = cfg?.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new DataError(`${path} has no valid formatVersion (got ${JSON.stringify(v)})`);
  if (v > MODEL_FORMAT_VERSION) {
    throw new ValueError(
      `${path} was written by a newer walkjump (run-folder format ${v}; this version reads up to ${MODEL_FORMAT_VERSION}): upgrade walkjump`,
    );
  }
  if (
    cfg.kind !== 'energy' ||
    cfg.net?.kind !== 'mlp' ||
    !['deen', 'multimeasurement', 'mdae', 'dual', 'cebm'].includes(cfg.method)
  )
    throw new DataError(
      `${path}: unsupported model ${JSON.stringify(cfg.kind)}/${JSON.stringify(cfg.net?.kind)}/${JSON.stringify(cfg.method)}`,
    );
  return cfg;
}

/**
 * Loads a model saved by {@link saveModel} from the run folder `dir`. The caller owns the result
 * (dispose it). Throws as {@link readModelConfig}, and `DataError` for missing or mismatched weights.
 */
export async function loadModel(dir: string): Promise<EnergyModel> {
  const { structure, ...config } = readModelConfig(dir);
  const parsed = await loadSafetensors(join(dir, MODEL_FILES.weights));
  let params: Params;
  try {
    params = unflattenParams(structure, parsed.tensors);
  } catch (cause) {
    tf.dispose(Object.values(parsed.tensors));
    throw new DataError(
      `${join(dir, MODEL_FILES.weights)} does not match ${MODEL_FILES.config}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return makeEnergyModel(config, params);
}
