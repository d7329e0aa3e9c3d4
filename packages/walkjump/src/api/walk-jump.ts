import * as tf from '@tensorflow/tfjs-core';
import {
  chengUnderdamped,
  type Kernel,
  type KernelState,
  walkJump as langevinWalkJump,
  mala,
  sachsUnderdamped,
  ula,
} from '@walkjump/langevin';
import { type EnergyFn, type Key, key as makeKey, normal, split, uniform, ValueError } from '@walkjump/tensor';
import {
  choiceOption,
  type DataInput,
  type HostArray,
  positiveIntOption,
  positiveOption,
  toHostArray,
} from './data.ts';
import type { EnergyModel } from './model.ts';

/** The walk kernels of {@link walkJump}. */
export type SamplerName = 'ula' | 'mala' | 'cheng' | 'sachs';
/** All sampler names. */
export const SAMPLERS: readonly SamplerName[] = ['ula', 'mala', 'cheng', 'sachs'];

/** Options of {@link walkJump}; everything but `model` has a default. */
export interface WalkJumpOptions {
  /** The learned energy model (from {@link fitEnergy} or {@link loadModel}). */
  readonly model: EnergyModel;
  /**
   * Walk kernel on the smoothed density (default `'ula'`): `'ula'` / `'mala'` overdamped Langevin
   * (Saremi & Hyvärinen 2019, eq. 5; MALA adds the Metropolis test), `'sachs'` / `'cheng'`
   * underdamped Langevin (Saremi & Smith 2022, Alg. 1 and 2).
   */
  readonly sampler?: SamplerName;
  /** Walk steps per chain (default 200). */
  readonly steps?: number;
  /** Jump every this many walk steps (default `steps`: one jump at the end). */
  readonly every?: number;
  /** Parallel chains (default 64). */
  readonly chains?: number;
  /** Walk steps before the first recorded sample (default 0). */
  readonly burnIn?: number;
  /**
   * Step size (default 0.2σ² for ula/mala in the y ← y − ε∇E + √(2ε)ξ form, 0.25σ for the
   * underdamped kernels).
   */
  readonly stepSize?: number;
  /** Friction γ of the underdamped kernels (default 2/σ, critical damping at curvature 1/σ²). */
  readonly friction?: number;
  /**
   * Where chains start (default `'noise'`): `'noise'` = uniform over the data's range plus
   * N(0, σ²I) (Saremi & Smith 2022, §4), `'data'` = y₀ = x + σε for random rows x of `data`.
   */
  readonly init?: 'noise' | 'data';
  /** Data to start from with `init: 'data'`. */
  readonly data?: DataInput;
  /** Seed (default 0). */
  readonly seed?: number;
  /** Called with every recorded sample (host copies). */
  readonly onSample?: (e: { readonly step: number; readonly walk: Float32Array; readonly jump: Float32Array }) => void;
}

/** Result of {@link walkJump}: host arrays [chains, ...eventShape]. */
export interface WalkJumpSamples {
  /** Walk samples y (noisy space) at the last recorded step; [chains, M, ...eventShape] when M > 1. */
  readonly walk: HostArray;
  /** Jump samples x̂(y) (clean space) at the last recorded step. */
  readonly jump: HostArray;
  /** Every recorded jump, for chain strips and traces: `jumps[s]` is [chains, ...event] at `steps[s]`. */
  readonly trace: { readonly steps: readonly number[]; readonly jumps: readonly Float32Array[] };
  /** Mean Metropolis acceptance (mala), else undefined. */
  readonly acceptance: number | undefined;
  /** Number of non-finite proposals seen (should be 0). */
  readonly nonFinite: number;
  /** Wall time of the sampling in milliseconds. */
  readonly ms: number;
  /** The settings used. */
  readonly settings: {
    readonly sampler: SamplerName;
    readonly steps: number;
    readonly every: number;
    readonly chains: number;
    readonly stepSize: number;
    readonly friction?: number;
    readonly init: 'noise' | 'data';
    readonly seed: number;
  };
}

/**
 * Walk-jump sampling (Saremi & Hyvärinen 2019, §3; Saremi & Smith 2022): `chains` Langevin chains
 * walk on the learned smoothed density p(y) ∝ exp(−E(y)) with the chosen kernel, and every `every`
 * steps jump to x̂(y) = y − σ²∇E(y) (eq. 2); jumps are not fed back. Returns host copies and leaves
 * no tensor behind. Throws `ValueError` for bad options before sampling.
 */
export function walkJump(opts: WalkJumpOptions): WalkJumpSamples {
  if (opts === null || typeof opts !== 'object' || opts.model === undefined)
    throw new ValueError('walkJump: options { model } are required');
  const { model } = opts;
  if (model.config.method === 'cebm')
    throw new ValueError('walkJump: a cebm model has no smoothed density to walk on; sample it with sampleManifold');
  const sigma = model.config.sigma;
  const sampler = choiceOption('walkJump: sampler', opts.sampler, SAMPLERS, 'ula');
  const steps = positiveIntOption('walkJump: steps', opts.steps, 200);
  const every = Math.min(positiveIntOption('walkJump: every', opts.every, steps), steps);
  const chains = positiveIntOption('walkJump: chains', opts.chains, 64);
  const burnIn = opts.burnIn ?? 0;
  if (!Number.isInteger(burnIn) || burnIn < 0)
    throw new ValueError(`walkJump: burnIn must be a non-negative integer, got ${String(opts.burnIn)}`);
  const overdamped = sampler === 'ula' || sampler === 'mala';
  const stepSize = positiveOption('walkJump: stepSize', opts.stepSize, overdamped ? 0.2 * sigma * sigma : 0.25 * sigma);
  const friction = overdamped ? undefined : positiveOption('walkJump: friction', opts.friction, 2 / sigma);
  const initKind = choiceOption('walkJump: init', opts.init, ['noise', 'data'] as const, 'noise');
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ValueError(`walkJump: seed must be a non-negative integer, got ${String(opts.seed)}`);
  const eventShape = model.config.eventShape;
  const d = eventShape.reduce((p, q) => p * q, 1);
  const Md = model.config.M;
  let host: HostArray | undefined;
  if (initKind === 'data') {
    if (opts.data === undefined) throw new ValueError("walkJump: init 'data' needs the data option");
    host = toHostArray(opts.data, 'walkJump: data');
    const hd = host.data.length / (host.shape[0] as number);
    if (hd !== d)
      throw new ValueError(
        `walkJump: data has ${hd} values per sample, the model expects ${d} ([${eventShape.join(', ')}])`,
      );
  }
  const [kInit, kWalk] = split(makeKey(seed), 2) as [Key, Key];
  const energy = model.energy;
  if (sampler === 'mala' && energy === undefined) {
    throw new ValueError(
      `walkJump: sampler 'mala' needs an energy; a ${model.config.method} model has only a score (use ula, sachs or cheng)`,
    );
  }
  const target = energy === undefined ? { score: model.score } : { energy, score: model.score };
  const kernel: Kernel<KernelState> =
    sampler === 'ula'
      ? ula(target, { stepSize, parameterization: 'saremi2019' })
      : sampler === 'mala'
        ? mala({ energy: energy as EnergyFn, score: model.score }, { stepSize, parameterization: 'saremi2019' })
        : sampler === 'cheng'
          ? chengUnderdamped(target, { stepSize, friction: friction as number })
          : sachsUnderdamped(target, { stepSize, friction: friction as number });
  const t0 = performance.now();
  const init = tf.tidy(() => {
    if (host !== undefined) {
      const n = host.shape[0] as number;
      const [ki, kn] = split(kInit, 2) as [Key, Key];
      const u = uniform(ki, [chains]).dataSync();
      const rows = Int32Array.from(u, (x) => Math.min(n - 1, Math.floor(x * n)));
      const X = tf.tensor2d(host.data, [n, d]);
      // y_m = x + σε_m for every measurement m (Saremi & Srivastava 2022, eq. 6).
      const x = tf.tile(tf.gather(X, tf.tensor1d(rows, 'int32')), [1, Md]);
      return tf.add(x, normal(kn, [chains, Md * d], { std: sigma }));
    }
    const [lo, hi] = model.config.dataRange ?? [-1, 1];
    const [ku, kn] = split(kInit, 2) as [Key, Key];
    return tf.add(
      uniform(ku, [chains, Md * d], { min: lo, max: hi > lo ? hi : lo + 1 }),
      normal(kn, [chains, Md * d], { std: sigma }),
    );
  });
  const traceSteps: number[] = [];
  const jumps: Float32Array[] = [];
  let lastWalk: Float32Array | undefined;
  try {
    const r = langevinWalkJump({
      key: kWalk,
      kernel,
      jump: model.denoise,
      init,
      steps,
      every,
      burnIn,
      collect: false,
      onSample: (e) => {
        const walk = e.walk.dataSync() as Float32Array;
        const jump = e.jump.dataSync() as Float32Array;
        traceSteps.push(e.step);
        jumps.push(jump);
        lastWalk = walk;
        opts.onSample?.({ step: e.step, walk, jump });
      },
    });
    tf.dispose([r.walk, r.jump]);
    const shape = [chains, ...eventShape];
    return {
      walk: { data: lastWalk ?? new Float32Array(0), shape: Md === 1 ? shape : [chains, Md, ...eventShape] },
      jump: { data: jumps[jumps.length - 1] ?? new Float32Array(0), shape },
      trace: { steps: traceSteps, jumps },
      acceptance: r.acceptance,
      nonFinite: r.nonFinite,
      ms: performance.now() - t0,
      settings: {
        sampler,
        steps,
        every,
        chains,
        stepSize,
        ...(friction !== undefined && { friction }),
        init: initKind,
        seed,
      },
    };
  } finally {
    init.dispose();
  }
}
