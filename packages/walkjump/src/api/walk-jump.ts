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
import {
  DataError,
  type EnergyFn,
  foldIn,
  hasCheckpoint,
  type Key,
  loadCheckpoint,
  key as makeKey,
  normal,
  saveCheckpoint,
  split,
  uniform,
  ValueError,
} from '@walkjump/tensor';
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

/** Validated settings, the kernel and the keys of a walk-jump run (shared by the sync and async drivers). */
interface Prepared {
  readonly model: EnergyModel;
  readonly kernel: Kernel<KernelState>;
  readonly kInit: Key;
  readonly kWalk: Key;
  readonly burnIn: number;
  readonly eventShape: readonly number[];
  readonly Md: number;
  readonly settings: WalkJumpSamples['settings'];
  /** The initial chain positions [chains, M·d] (caller disposes). */
  readonly makeInit: () => tf.Tensor;
}

function prepare(opts: WalkJumpOptions): Prepared {
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
  const settings: WalkJumpSamples['settings'] = {
    sampler,
    steps,
    every,
    chains,
    stepSize,
    ...(friction !== undefined && { friction }),
    init: initKind,
    seed,
  };
  const makeInit = (): tf.Tensor =>
    tf.tidy(() => {
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
  return { model, kernel, kInit, kWalk, burnIn, eventShape, Md, settings, makeInit };
}

/**
 * Walk-jump sampling (Saremi & Hyvärinen 2019, §3; Saremi & Smith 2022): `chains` Langevin chains
 * walk on the learned smoothed density p(y) ∝ exp(−E(y)) with the chosen kernel, and every `every`
 * steps jump to x̂(y) = y − σ²∇E(y) (eq. 2); jumps are not fed back. Returns host copies and leaves
 * no tensor behind. Throws `ValueError` for bad options before sampling. Synchronous; see
 * {@link walkJumpAsync} for an interruptible, resumable run with the same samples.
 */
export function walkJump(opts: WalkJumpOptions): WalkJumpSamples {
  const { model, kernel, kWalk, burnIn, eventShape, Md, settings, makeInit } = prepare(opts);
  const { chains, steps, every } = settings;
  const t0 = performance.now();
  const init = makeInit();
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
      settings,
    };
  } finally {
    init.dispose();
  }
}

/** Options of {@link walkJumpAsync}: those of {@link walkJump}, plus interruption and resume. */
export interface WalkJumpAsyncOptions extends WalkJumpOptions {
  /**
   * Stops the run after the current step: the full chain state is written to `checkpoint` (when
   * given) and the result has `status: 'interrupted'`.
   */
  readonly signal?: AbortSignal;
  /** Folder for the checkpoint written on interruption (written atomically; Node only). */
  readonly checkpoint?: string;
  /** Continue from the checkpoint in `checkpoint` (default false); the settings must be the same. */
  readonly resume?: boolean;
  /** Yield to the event loop (and call `onProgress`) at least this often, in ms (default 50). */
  readonly yieldMs?: number;
  /** Called at each yield with the completed steps (counting burn-in) of `total`. */
  readonly onProgress?: (e: { readonly step: number; readonly total: number }) => void;
}

/** Result of {@link walkJumpAsync}. */
export interface WalkJumpAsyncSamples extends WalkJumpSamples {
  /** `completed`, or `interrupted` by `signal` (then walk/jump/trace hold what was recorded so far). */
  readonly status: 'completed' | 'interrupted';
  /** Completed walk steps, counting burn-in. */
  readonly step: number;
  /** The step the run resumed from, or undefined for a fresh start. */
  readonly resumedFrom: number | undefined;
  /** The checkpoint folder written on interruption, else undefined. */
  readonly checkpoint: string | undefined;
}

interface SampleCheckpointExtra {
  readonly format: 'walkjump-sample';
  readonly settings: WalkJumpSamples['settings'] & { readonly burnIn: number };
  readonly fields: readonly string[];
  readonly scalars: Readonly<Record<string, unknown>>;
  readonly traceSteps: readonly number[];
  readonly hasAcceptance: boolean;
  readonly ms: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((res) => setImmediate(res));

/**
 * Interruptible, resumable walk-jump sampling: the same chain as {@link walkJump} (same kernel,
 * same per-step keys `foldIn(key, k)`, Saremi & Hyvärinen 2019 §3, eqs. 5–6), run as an async loop
 * that yields to the event loop every `yieldMs`, so a signal handler (Ctrl-C) can abort it. On
 * abort it finishes the current step and writes the full chain state — every tensor of the kernel
 * state (position, velocity, cached score/energy), the base key, the step, the device-side
 * acceptance and non-finite counters, and the jumps recorded so far — atomically to `checkpoint`
 * with `saveCheckpoint`. `resume: true` continues from it, and the final samples equal those of an
 * uninterrupted run with the same options bit for bit. Host copies only; leaves no tensor behind.
 */
export async function walkJumpAsync(opts: WalkJumpAsyncOptions): Promise<WalkJumpAsyncSamples> {
  const { model, kernel, kWalk, burnIn, eventShape, Md, settings, makeInit } = prepare(opts);
  const { chains, steps, every } = settings;
  const yieldMs = opts.yieldMs ?? 50;
  if (!(yieldMs >= 0)) throw new ValueError(`walkJumpAsync: yieldMs must be ≥ 0, got ${String(opts.yieldMs)}`);
  const resume = opts.resume === true;
  const dir = opts.checkpoint;
  if (resume && dir === undefined) throw new ValueError('walkJumpAsync: resume needs the checkpoint folder');
  const full = { ...settings, burnIn };
  const total = burnIn + steps;
  const t0 = performance.now();
  const traceSteps: number[] = [];
  const jumps: Float32Array[] = [];
  let lastWalk: Float32Array | undefined;
  let state: KernelState;
  let step = 0;
  let msBefore = 0;
  let resumedFrom: number | undefined;
  let accSum: tf.Tensor | null = null;
  let nonFiniteSum: tf.Tensor;
  if (resume && dir !== undefined) {
    if (!(await hasCheckpoint(dir))) throw new DataError(`walkJumpAsync: no checkpoint in ${dir} to resume`);
    const c = await loadCheckpoint(dir);
    const p = c.params as Record<string, tf.Tensor>;
    const extra = c.manifest.extra as SampleCheckpointExtra | null;
    try {
      if (extra?.format !== 'walkjump-sample')
        throw new DataError(`walkJumpAsync: ${dir} holds a checkpoint that is not a walk-jump sampling run's`);
      for (const k of Object.keys(full) as (keyof typeof full)[]) {
        if (extra.settings[k] !== full[k])
          throw new ValueError(
            `walkJumpAsync: resume: ${k} is ${JSON.stringify(full[k])} but the checkpoint in ${dir} used ${JSON.stringify(extra.settings[k])}`,
          );
      }
      if (c.key[0] !== kWalk[0] || c.key[1] !== kWalk[1])
        throw new DataError(`walkJumpAsync: the checkpoint in ${dir} has another key`);
    } catch (e) {
      tf.dispose(Object.values(p));
      throw e;
    }
    const st: Record<string, unknown> = { ...extra.scalars };
    for (const f of extra.fields) st[f] = p[f];
    state = st as unknown as KernelState;
    nonFiniteSum = p['@nonFinite'] as tf.Tensor;
    accSum = extra.hasAcceptance ? (p['@acceptance'] as tf.Tensor) : null;
    if (p['@jumps'] !== undefined) {
      const J = p['@jumps'];
      const all = J.dataSync() as Float32Array;
      const n = J.shape[1] as number;
      for (let i = 0; i < (J.shape[0] as number); i++) jumps.push(all.slice(i * n, (i + 1) * n));
      J.dispose();
    }
    if (p['@walk'] !== undefined) {
      lastWalk = (p['@walk'].dataSync() as Float32Array).slice();
      p['@walk'].dispose();
    }
    traceSteps.push(...extra.traceSteps);
    step = c.step;
    msBefore = extra.ms;
    resumedFrom = step;
  } else {
    const y0 = makeInit();
    try {
      state = kernel.init(y0);
    } finally {
      y0.dispose();
    }
    nonFiniteSum = tf.scalar(0);
  }
  const shape = [chains, ...eventShape];
  let status: 'completed' | 'interrupted' = 'completed';
  let written: string | undefined;
  try {
    let lastYield = performance.now();
    while (step < total) {
      if (opts.signal?.aborted === true) {
        status = 'interrupted';
        break;
      }
      const k = step + 1;
      const [next, info] = kernel.step(foldIn(kWalk, k), state);
      tf.dispose(state as unknown as tf.TensorContainer);
      state = next;
      const nf = nonFiniteSum;
      nonFiniteSum = tf.tidy(() => tf.add(nf, tf.sum(info.nonFinite)));
      nf.dispose();
      if (info.acceptance !== undefined) {
        const a: tf.Tensor | null = accSum;
        const acc = info.acceptance;
        accSum = tf.tidy((): tf.Tensor => (a === null ? tf.sum(acc) : tf.add(a, tf.sum(acc))));
        a?.dispose();
      }
      tf.dispose(info as unknown as tf.TensorContainer);
      step = k;
      if (k > burnIn && (k - burnIn) % every === 0) {
        const walk = tf.clone(state.position);
        const x = model.denoise(state.position);
        try {
          const w = walk.dataSync() as Float32Array;
          const j = x.dataSync() as Float32Array;
          traceSteps.push(k);
          jumps.push(j);
          lastWalk = w;
          opts.onSample?.({ step: k, walk: w, jump: j });
        } finally {
          tf.dispose([walk, x]);
        }
      }
      if (performance.now() - lastYield >= yieldMs || k === total) {
        opts.onProgress?.({ step: k, total });
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    if (status === 'interrupted' && dir !== undefined) {
      const params: Record<string, tf.Tensor> = {};
      const scalars: Record<string, unknown> = {};
      const fields: string[] = [];
      for (const [f, v] of Object.entries(state)) {
        if (v instanceof tf.Tensor) {
          params[f] = v;
          fields.push(f);
        } else scalars[f] = v;
      }
      params['@nonFinite'] = nonFiniteSum;
      if (accSum !== null) params['@acceptance'] = accSum;
      const own: tf.Tensor[] = [];
      if (jumps.length > 0) {
        const n = (jumps[0] as Float32Array).length;
        const flat = new Float32Array(jumps.length * n);
        for (let i = 0; i < jumps.length; i++) flat.set(jumps[i] as Float32Array, i * n);
        const J = tf.tensor2d(flat, [jumps.length, n]);
        params['@jumps'] = J;
        own.push(J);
      }
      if (lastWalk !== undefined) {
        const W = tf.tensor1d(lastWalk);
        params['@walk'] = W;
        own.push(W);
      }
      const extra: SampleCheckpointExtra = {
        format: 'walkjump-sample',
        settings: full,
        fields,
        scalars,
        traceSteps,
        hasAcceptance: accSum !== null,
        ms: msBefore + (performance.now() - t0),
      };
      try {
        await saveCheckpoint(dir, { params, optState: { step: 0, slots: {} }, step, key: kWalk, extra });
      } finally {
        tf.dispose(own);
      }
      written = dir;
    }
    const C = state.position.shape[0] as number;
    const acceptance =
      accSum === null || step === 0 ? undefined : ((accSum as tf.Tensor).dataSync()[0] as number) / (step * C);
    return {
      walk: { data: lastWalk ?? new Float32Array(0), shape: Md === 1 ? shape : [chains, Md, ...eventShape] },
      jump: { data: jumps[jumps.length - 1] ?? new Float32Array(0), shape },
      trace: { steps: traceSteps, jumps },
      acceptance,
      nonFinite: nonFiniteSum.dataSync()[0] as number,
      ms: msBefore + (performance.now() - t0),
      settings,
      status,
      step,
      resumedFrom,
      checkpoint: written,
    };
  } finally {
    tf.dispose(state as unknown as tf.TensorContainer);
    nonFiniteSum.dispose();
    accSum?.dispose();
  }
}
