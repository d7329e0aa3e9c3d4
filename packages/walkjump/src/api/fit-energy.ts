import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { deenLoss, dualScoreMatchingLoss, mdaeLoss, multimeasurementLoss } from '@walkjump/empirical-bayes';
import type { Activation } from '@walkjump/nets';
import {
  adam,
  CHECKPOINT_MANIFEST,
  disposeOptState,
  disposeParams,
  fit,
  type Key,
  key as makeKey,
  type Params,
  split,
  uniform,
  ValueError,
} from '@walkjump/tensor';
import {
  choiceOption,
  type DataInput,
  eventSize,
  type HostArray,
  positiveIntOption,
  positiveOption,
  toHostArray,
} from './data.ts';
import {
  type EnergyModel,
  type FitMethod,
  type ManifoldSpec,
  MODEL_FORMAT_VERSION,
  type ModelConfig,
  makeEnergyModel,
  type NetSpec,
  netInputSize,
  networkOf,
} from './model.ts';

/** A sampler of training data, e.g. a distribution of `@walkjump/datasets` (`ring8()`). */
export interface DataSampler {
  /** Shape of one sample. */
  readonly eventShape: readonly number[];
  /** `n` fresh samples [n, ...eventShape]; the caller owns the result. */
  sample(key: Key, n: number): tf.Tensor;
}

/** The methods {@link fitEnergy} knows, and those of them this version implements. */
export const FIT_METHODS: readonly FitMethod[] = ['deen', 'multimeasurement', 'mdae', 'dual'];

/** Options of {@link fitEnergy}; everything but `data` has a default. */
export interface FitEnergyOptions {
  /** Training data: samples [N, ...event] (tensor, host array, rows) or a sampler of fresh data. */
  readonly data: DataInput | DataSampler;
  /** Learning method (default `'deen'`, eq. 3 of Saremi & Hyvärinen 2019). */
  readonly method?: FitMethod;
  /** Noise level σ of Y = X + N(0, σ²I) (default 0.3). */
  readonly sigma?: number;
  /** Number of measurements M (default 1; DEEN uses M = 1). */
  readonly M?: number;
  /** Energy network: `'conv'` / `{ kind: 'conv', channels, hidden }` (the DEEN ConvNet, images only), or `'mlp'` or an MLP spec (default widths [64, 64] for d ≤ 16, else [256, 256]; swish). */
  readonly net?:
    | 'mlp'
    | 'conv'
    | { readonly kind?: 'mlp'; readonly widths?: readonly number[]; readonly activation?: Activation }
    | {
        readonly kind: 'conv';
        readonly channels?: readonly number[];
        readonly hidden?: number;
        readonly activation?: Activation;
      };
  /** Training steps (default 1000). */
  readonly steps?: number;
  /** Batch size (default 128). */
  readonly batchSize?: number;
  /** Peak Adam learning rate, cosine-decayed to a tenth (default 1e-3). */
  readonly learningRate?: number;
  /** Seed (default 0). */
  readonly seed?: number;
  /** Called after every step. */
  readonly onStep?: (e: FitEnergyStep) => void | Promise<void>;
  /** Aborting finishes the current step (and writes the checkpoint, if any) and returns. */
  readonly signal?: AbortSignal;
  /** Checkpoints for exact resume (see `fit` of `@walkjump/tensor`). */
  readonly checkpoint?: { readonly dir: string; readonly every: number };
  /** Continue from the checkpoint in `checkpoint.dir`. */
  readonly resume?: boolean;
  /** Image size, recorded in the model so that samples can be drawn as pictures. */
  readonly image?: { readonly height: number; readonly width: number };
  /** The manifold the data lives on, recorded in the model (see {@link fitManifold}). */
  readonly manifold?: ManifoldSpec;
  /** Description of the data, recorded in the model (default `'array'` or `'sampler'`). */
  readonly dataName?: string;
}

/** A progress event of {@link fitEnergy}. */
export interface FitEnergyStep {
  /** Steps done (1-based). */
  readonly step: number;
  /** Total steps. */
  readonly steps: number;
  /** Loss of this step. */
  readonly loss: number;
  /** Smoothed training rate. */
  readonly stepsPerSecond: number;
}

/** Result of {@link fitEnergy}. */
export interface FitEnergyResult {
  /** The learned model (owned by the caller: dispose it). */
  readonly model: EnergyModel;
  /** Loss per step (of this call; a resumed run starts where the checkpoint was). */
  readonly history: readonly { readonly step: number; readonly loss: number }[];
  /** Steps done in total. */
  readonly step: number;
  /** `'aborted'` when `signal` stopped it early. */
  readonly stopped: 'completed' | 'callback' | 'aborted';
  /** Step the run resumed from, or null. */
  readonly resumedFrom: number | null;
}

const isSampler = (d: FitEnergyOptions['data']): d is DataSampler =>
  typeof (d as DataSampler)?.sample === 'function' && Array.isArray((d as DataSampler).eventShape);

/** The methods this version can train. */
export const AVAILABLE_METHODS: readonly FitMethod[] = ['deen', 'multimeasurement', 'mdae', 'dual'];

/** Throws `ValueError` when `method` is known but not available in this version. */
export function assertMethodAvailable(method: FitMethod, prefix = ''): void {
  if (!AVAILABLE_METHODS.includes(method)) {
    throw new ValueError(
      `${prefix}method '${method}' is not available in this version of walkjump (its loss is not in @walkjump/empirical-bayes yet); use ${AVAILABLE_METHODS.map((m) => `'${m}'`).join(' or ')}`,
    );
  }
}

/** Validated options with defaults. */
function resolve(opts: FitEnergyOptions, d: number) {
  if (opts === null || typeof opts !== 'object') throw new ValueError('fitEnergy: options { data } are required');
  const method = choiceOption('fitEnergy: method', opts.method, FIT_METHODS, 'deen');
  const netIn = (
    opts.net === undefined || opts.net === 'mlp' ? { kind: 'mlp' } : opts.net === 'conv' ? { kind: 'conv' } : opts.net
  ) as {
    kind?: string;
    widths?: readonly number[];
    channels?: readonly number[];
    hidden?: number;
    activation?: Activation;
  };
  if (
    typeof netIn !== 'object' ||
    netIn === null ||
    (netIn.kind !== undefined && netIn.kind !== 'mlp' && netIn.kind !== 'conv')
  ) {
    throw new ValueError(
      `fitEnergy: net must be 'mlp', 'conv', { widths, activation } or { kind: 'conv', channels, hidden }, got ${JSON.stringify(opts.net)}`,
    );
  }
  const ints = (name: string, v: unknown): void => {
    if (!Array.isArray(v) || v.length === 0 || v.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new ValueError(`fitEnergy: net.${name} must be positive integers, got ${JSON.stringify(v)}`);
    }
  };
  let net: NetSpec;
  if (netIn.kind === 'conv') {
    const c = netIn;
    const channels = c.channels ?? [32, 64, 64];
    ints('channels', channels);
    const hidden = positiveIntOption('fitEnergy: net.hidden', c.hidden, 128);
    net = { kind: 'conv', channels: [...channels], hidden, activation: c.activation ?? 'swish' };
  } else {
    const m = netIn;
    const widths = m.widths ?? (d <= 16 ? [64, 64] : [256, 256]);
    if (widths.length > 0) ints('widths', widths);
    net = { kind: 'mlp', widths: [...widths], activation: m.activation ?? 'swish' };
  }
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ValueError(`fitEnergy: seed must be a non-negative integer, got ${String(opts.seed)}`);
  const M = positiveIntOption('fitEnergy: M', opts.M, method === 'multimeasurement' || method === 'mdae' ? 4 : 1);
  if ((method === 'deen' || method === 'dual') && M !== 1) {
    throw new ValueError(
      `fitEnergy: method '${method}' learns from one measurement (M = 1), got M = ${M}; use method 'multimeasurement' or 'mdae' for M > 1`,
    );
  }
  assertMethodAvailable(method, 'fitEnergy: ');
  return {
    method,
    net,
    seed,
    M,
    sigma: positiveOption('fitEnergy: sigma', opts.sigma, 0.3),
    steps: positiveIntOption('fitEnergy: steps', opts.steps, 1000),
    batchSize: positiveIntOption('fitEnergy: batchSize', opts.batchSize, 128),
    learningRate: positiveOption('fitEnergy: learningRate', opts.learningRate, 1e-3),
  };
}

/**
 * Learns an energy E(y; θ) of the smoothed density of Y = X + N(0, σ²I) from data by empirical
 * Bayes. `method: 'deen'` minimizes the DEEN objective E‖x − y + σ²∇E(y)‖² (Saremi & Hyvärinen
 * 2019, eq. 3) with Adam (cosine-decayed learning rate) on random mini-batches (drawn with
 * replacement, deterministic in the seed, so a checkpointed run resumes exactly). Returns the model
 * (its `denoise` is the Tweedie/Robbins jump x̂(y) = y − σ²∇E(y), eq. 2). Throws `ValueError` for
 * bad options and `DataError` for data with NaN or ±∞, before any training.
 *
 * @example
 * ```ts
 * const { model } = await fitEnergy({ data: datasets.ring8(), sigma: 0.3, steps: 2000 });
 * const { jump } = walkJump({ model, chains: 500 });
 * ```
 */
export async function fitEnergy(opts: FitEnergyOptions): Promise<FitEnergyResult> {
  const data = opts?.data;
  let host: HostArray | undefined;
  let eventShape: readonly number[];
  let range: readonly [number, number] | undefined;
  if (isSampler(data)) {
    eventShape = [...data.eventShape];
    // The range of 2000 draws: where chains started from noise begin (see walkJump's init).
    const probe = tf.tidy(() => data.sample(makeKey(0x5eed), 2000));
    const v = Float32Array.from(probe.dataSync());
    probe.dispose();
    range = [
      v.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY),
      v.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY),
    ] as const;
  } else {
    host = toHostArray(data as DataInput, 'fitEnergy: data');
    eventShape = host.shape.slice(1);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of host.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    range = [lo, hi];
  }
  const d = eventShape.reduce((p, q) => p * q, 1);
  const cfg = resolve(opts, d);
  const image =
    opts.image ??
    (eventShape.length >= 2 ? { height: eventShape[0] as number, width: eventShape[1] as number } : undefined);
  const net = networkOf(cfg.net, cfg.method, cfg.M, d, image);
  const [kInit, kTrain] = split(makeKey(cfg.seed), 2) as [Key, Key];
  const n = host === undefined ? 0 : (host.shape[0] as number);
  const X = host === undefined ? undefined : tf.tensor2d(host.data, [n, eventSize(host.shape)]);
  const batches = (_step: number, k: Key): tf.Tensor => {
    if (X === undefined) {
      return tf.tidy(() => {
        const s = (data as DataSampler).sample(k, cfg.batchSize);
        return tf.reshape(s, [cfg.batchSize, d]);
      });
    }
    const u = uniform(k, [cfg.batchSize]);
    const uv = u.dataSync();
    u.dispose();
    const idx = Int32Array.from(uv, (x) => Math.min(n - 1, Math.floor(x * n)));
    return tf.tidy(() => tf.gather(X, tf.tensor1d(idx, 'int32')));
  };
  const init = net.init(kInit, [netInputSize(cfg.method, cfg.M, d)]);
  const lr0 = cfg.learningRate;
  const schedule = (t: number): number =>
    lr0 * (0.1 + 0.45 * (1 + Math.cos((Math.PI * Math.min(t, cfg.steps)) / cfg.steps)));
  let rate = 0;
  let fitted: Awaited<ReturnType<typeof fit>>;
  const resumedFrom =
    opts.resume === true && opts.checkpoint !== undefined ? checkpointStep(opts.checkpoint.dir) : null;
  try {
    fitted = await fit({
      params: init as unknown as Params,
      loss: (p, x: tf.Tensor, k) => {
        const mp = p;
        const B = x.shape[0] as number;
        const flat = (y: tf.Tensor): tf.Tensor => tf.reshape(y, [y.shape[0] as number, cfg.M * d]);
        const noise = { sigma: cfg.sigma, M: cfg.M, checkFinite: false } as const;
        // An energy is seen only through its gradients: the output bias gets a zero gradient from `fit`.
        switch (cfg.method) {
          case 'deen': // Saremi & Hyvärinen (2019), eq. 3
            return tf.mean(deenLoss(k, (y) => net.apply(mp, y), x, { sigma: cfg.sigma, checkFinite: false }));
          case 'multimeasurement': // Saremi & Srivastava (2022), eq. 14
            return tf.mean(multimeasurementLoss(k, { energy: (y) => net.apply(mp, flat(y)) }, x, noise));
          case 'mdae': // Saremi & Srivastava (2022), eq. 19
            return tf.mean(
              mdaeLoss(k, (y) => tf.reshape(net.apply(mp, flat(y)), [y.shape[0] as number, cfg.M, d]), x, noise),
            );
          case 'dual': // Guth, Kadkhodaie & Simoncelli: dual score matching, t log-uniform on [σ²/16, 16σ²]
            return tf.mean(
              dualScoreMatchingLoss(
                k,
                (y, t) => net.apply(mp, tf.concat([y, tf.reshape(tf.log(t as tf.Tensor), [B, 1])], 1)),
                x,
                {
                  tMin: (cfg.sigma * cfg.sigma) / 16,
                  tMax: 16 * cfg.sigma * cfg.sigma,
                  checkFinite: false,
                },
              ),
            );
        }
      },
      batches,
      optimizer: adam({ learningRate: schedule }),
      steps: cfg.steps,
      key: kTrain,
      ...(opts.checkpoint !== undefined && { checkpoint: opts.checkpoint }),
      resume: resumedFrom !== null,
      ...(opts.signal !== undefined && { signal: opts.signal }),
      onStep: async (e) => {
        if (Number.isFinite(e.stepsPerSecond))
          rate = rate === 0 ? e.stepsPerSecond : 0.95 * rate + 0.05 * e.stepsPerSecond;
        await opts.onStep?.({ step: e.step + 1, steps: cfg.steps, loss: e.loss, stepsPerSecond: rate });
        if ((e.step + 1) % 10 === 0) await new Promise((r) => setImmediate(r));
      },
    });
  } finally {
    disposeParams(init as unknown as Params);
    X?.dispose();
  }
  disposeOptState(fitted.optState);
  const config: ModelConfig = {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: 'energy',
    method: cfg.method,
    sigma: cfg.sigma,
    M: cfg.M,
    net: cfg.net,
    eventShape,
    ...(image !== undefined && { image: { height: image.height, width: image.width } }),
    ...(opts.manifold !== undefined && { manifold: opts.manifold }),
    ...(range !== undefined && { dataRange: range }),
    data: opts.dataName ?? (host === undefined ? 'sampler' : 'array'),
    trainedSteps: fitted.step,
    seed: cfg.seed,
  };
  return {
    model: makeEnergyModel(config, fitted.params),
    history: fitted.history,
    step: fitted.step,
    stopped: fitted.stopped,
    resumedFrom,
  };
}

/** The step of the checkpoint in `dir`, or null when there is none. */
export function checkpointStep(dir: string): number | null {
  const path = join(dir, CHECKPOINT_MANIFEST);
  if (!existsSync(path)) return null;
  const step = (JSON.parse(readFileSync(path, 'utf8')) as { step?: unknown }).step;
  return typeof step === 'number' ? step : null;
}
