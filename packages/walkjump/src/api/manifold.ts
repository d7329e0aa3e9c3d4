import * as tf from '@tensorflow/tfjs-core';
import {
  type AnalyticManifold,
  type ConstrainedKernel,
  constrainedEbm,
  constrainedHmc,
  constrainedLangevin,
  disposeConstrainedState,
  projectToManifold,
  sphere,
  torus,
} from '@walkjump/manifold';
import type { Activation } from '@walkjump/nets';
import { disposeParams, type Key, key as makeKey, normal, split, uniform, ValueError } from '@walkjump/tensor';
import {
  choiceOption,
  type DataInput,
  type HostArray,
  positiveIntOption,
  positiveOption,
  toHostArray,
} from './data.ts';
import { type FitEnergyOptions, type FitEnergyResult, fitEnergy } from './fit-energy.ts';
import { makeEnergyModel, MODEL_FORMAT_VERSION, type ModelConfig, type NetSpec, networkOf } from './model.ts';
import type { EnergyModel, ManifoldSpec } from './model.ts';

/** The analytic manifold of a spec (`sphere` S^{d−1} ⊂ R^d, `torus` of revolution in R³). */
export function manifoldOf(spec: ManifoldSpec): AnalyticManifold {
  if (spec.name === 'sphere') return sphere(spec.dim, spec.radius === undefined ? {} : { radius: spec.radius });
  if (spec.name === 'torus')
    return torus({ ...(spec.R !== undefined && { R: spec.R }), ...(spec.r !== undefined && { r: spec.r }) });
  throw new ValueError(
    `manifold must be 'sphere' or 'torus', got ${JSON.stringify((spec as { name?: unknown })?.name)}`,
  );
}

/** Options of {@link fitManifold}: those of {@link fitEnergy} plus the manifold. */
export interface FitManifoldOptions extends Omit<FitEnergyOptions, 'manifold' | 'data' | 'method'> {
  /**
   * `'deen'` (default): a DEEN energy of the data smoothed in the ambient space; `'dual'`: the same by
   * dual score matching; `'cebm'`: a constrained EBM on M (Ross et al. 2023, eqs. 9–10, Sec. 3.2:
   * contrastive divergence with on-manifold negatives from constrained Langevin, `constrainedEbm` of
   * `@walkjump/manifold`; no checkpoints, `signal` is not honoured).
   */
  readonly method?: 'deen' | 'dual' | 'cebm';
  /** Points on the manifold [N, ambient dim] (e.g. `earthEvents('flood').points` on S²). */
  readonly data: DataInput;
  /** The manifold: `'sphere'` (unit sphere of the data's dimension), `'torus'` (R = 2, r = 1) or a spec. */
  readonly manifold: 'sphere' | 'torus' | ManifoldSpec;
}

/**
 * Learns an energy for data on a known manifold M ⊂ Rⁿ: a DEEN energy (Saremi & Hyvärinen 2019,
 * eq. 3) of the data smoothed in the ambient space at noise σ (default 0.1), recorded with M, so
 * that {@link sampleManifold} draws from exp(−E) restricted to M with constrained MCMC (Ross et al.
 * 2023, Alg. 1). Checks that the data lies on M (‖F(x)‖ ≤ 1e-3 for the constraint F of M).
 */
export async function fitManifold(opts: FitManifoldOptions): Promise<FitEnergyResult> {
  if (opts === null || typeof opts !== 'object')
    throw new ValueError('fitManifold: options { data, manifold } are required');
  const host = toHostArray(opts.data, 'fitManifold: data');
  const n = host.shape[0] as number;
  const d = host.data.length / n;
  const spec: ManifoldSpec =
    opts.manifold === 'sphere'
      ? { name: 'sphere', dim: d }
      : opts.manifold === 'torus'
        ? { name: 'torus', R: 2, r: 1 }
        : opts.manifold;
  const M = manifoldOf(spec);
  if (M.ambientDim !== d)
    throw new ValueError(`fitManifold: data has ${d} coordinates, the ${M.name} lives in R^${M.ambientDim}`);
  const worst = tf.tidy(() => tf.max(tf.abs(M.constraintFn(tf.tensor2d(host.data, [n, d])))).dataSync()[0] as number);
  if (!(worst <= 1e-3))
    throw new ValueError(`fitManifold: data is not on the ${M.name}: max |F(x)| = ${worst.toExponential(2)} > 1e-3`);
  const method = choiceOption('fitManifold: method', opts.method, ['deen', 'dual', 'cebm'] as const, 'deen');
  if (method !== 'cebm') return fitEnergy({ ...opts, method, data: host, manifold: spec, sigma: opts.sigma ?? 0.1 });
  const steps = positiveIntOption('fitManifold: steps', opts.steps, 500);
  const batchSize = positiveIntOption('fitManifold: batchSize', opts.batchSize, 100);
  const learningRate = positiveOption('fitManifold: learningRate', opts.learningRate, 1e-2);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ValueError(`fitManifold: seed must be a non-negative integer, got ${String(opts.seed)}`);
  const netIn = (typeof opts.net === 'object' ? opts.net : {}) as {
    widths?: readonly number[];
    activation?: Activation;
  };
  const net: NetSpec = {
    kind: 'mlp',
    widths: [...(netIn.widths ?? [64, 64])],
    activation: netIn.activation ?? 'swish',
  };
  const network = networkOf(net, 'cebm', 1, d);
  const [kInit, kTrain] = split(makeKey(seed), 2) as [Key, Key];
  const init = network.init(kInit, [d]);
  const X = tf.tensor2d(host.data, [n, d]);
  let rate = 0;
  let last = performance.now();
  let result: ReturnType<typeof constrainedEbm>;
  try {
    result = constrainedEbm({
      key: kTrain,
      constraintFn: M.constraintFn,
      energyFn: (p, x) => network.apply(p, x),
      params: init,
      data: X,
      steps,
      batchSize,
      learningRate,
      onStep: (e) => {
        const t = performance.now();
        const r = 1000 / Math.max(1e-3, t - last);
        last = t;
        rate = rate === 0 ? r : 0.9 * rate + 0.1 * r;
        void opts.onStep?.({ step: e.step + 1, steps, loss: e.loss, stepsPerSecond: rate });
      },
    });
  } finally {
    disposeParams(init);
    X.dispose();
  }
  const config: ModelConfig = {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: 'energy',
    method: 'cebm',
    sigma: 0,
    M: 1,
    net,
    eventShape: host.shape.slice(1),
    manifold: spec,
    data: opts.dataName ?? 'array',
    trainedSteps: steps,
    seed,
  };
  return {
    model: makeEnergyModel(config, result.params),
    history: result.losses.map((loss, step) => ({ step, loss })),
    step: steps,
    stopped: 'completed',
    resumedFrom: null,
  };
}

/** Options of {@link sampleManifold}. */
export interface SampleManifoldOptions {
  /** A model from {@link fitManifold} (its config names the manifold). */
  readonly model: EnergyModel;
  /** `'langevin'` (constrained Langevin, Ross et al. 2023 Alg. 1, default) or `'hmc'` (constrained HMC, RATTLE). */
  readonly sampler?: 'langevin' | 'hmc';
  /** MCMC steps (default 200). */
  readonly steps?: number;
  /** Parallel chains (default 256). */
  readonly chains?: number;
  /** Step size ε (default 0.05). */
  readonly stepSize?: number;
  /** Record the chains every this many steps (default `steps`). */
  readonly every?: number;
  /** Start from uniform-ish points on M (`'noise'`: Gaussian projected to M, default) or from `data` rows. */
  readonly init?: 'noise' | 'data';
  /** Data to start from with `init: 'data'`. */
  readonly data?: DataInput;
  /** Seed (default 0). */
  readonly seed?: number;
}

/** Result of {@link sampleManifold}. */
export interface ManifoldSamples {
  /** Final positions on M [chains, ambient]. */
  readonly samples: HostArray;
  /** Recorded positions for traces. */
  readonly trace: { readonly steps: readonly number[]; readonly positions: readonly Float32Array[] };
  /** Fraction of moves accepted per step. */
  readonly acceptance: readonly number[];
  /** Largest |F(x)| of the final samples (distance to M in constraint units). */
  readonly maxConstraint: number;
  /** Wall time in milliseconds. */
  readonly ms: number;
}

/**
 * Samples exp(−E(x)) restricted to the model's manifold M with a constrained MCMC kernel of
 * `@walkjump/manifold` (constrained Langevin with Metropolis correction, Ross et al. 2023 Alg. 1,
 * or constrained HMC). Returns host arrays; leaves no tensor behind.
 */
export function sampleManifold(opts: SampleManifoldOptions): ManifoldSamples {
  if (opts === null || typeof opts !== 'object' || opts.model === undefined)
    throw new ValueError('sampleManifold: options { model } are required');
  const { model } = opts;
  if (model.config.manifold === undefined)
    throw new ValueError('sampleManifold: the model has no manifold (train it with fitManifold)');
  const M = manifoldOf(model.config.manifold);
  const energy = model.energy;
  if (energy === undefined || model.config.M !== 1)
    throw new ValueError(
      `sampleManifold: needs an energy model with M = 1 (deen or dual), got ${model.config.method} with M = ${model.config.M}`,
    );
  const sampler = choiceOption('sampleManifold: sampler', opts.sampler, ['langevin', 'hmc'] as const, 'langevin');
  const steps = positiveIntOption('sampleManifold: steps', opts.steps, 200);
  const chains = positiveIntOption('sampleManifold: chains', opts.chains, 256);
  const every = Math.min(positiveIntOption('sampleManifold: every', opts.every, steps), steps);
  const stepSize = positiveOption('sampleManifold: stepSize', opts.stepSize, 0.05);
  const initKind = choiceOption('sampleManifold: init', opts.init, ['noise', 'data'] as const, 'noise');
  const seed = opts.seed ?? 0;
  const d = M.ambientDim;
  const [kInit, kRun] = split(makeKey(seed), 2) as [Key, Key];
  const kernel: ConstrainedKernel =
    sampler === 'hmc'
      ? constrainedHmc(M.constraintFn, energy, { stepSize, numSteps: 5 })
      : constrainedLangevin(M.constraintFn, energy, { stepSize, metropolis: true });
  const t0 = performance.now();
  const start = tf.tidy(() => {
    if (initKind === 'data') {
      if (opts.data === undefined) throw new ValueError("sampleManifold: init 'data' needs the data option");
      const host = toHostArray(opts.data, 'sampleManifold: data');
      const n = host.shape[0] as number;
      const rows = Int32Array.from(uniform(kInit, [chains]).dataSync(), (u) => Math.min(n - 1, Math.floor(u * n)));
      return tf.gather(tf.tensor2d(host.data, [n, d]), tf.tensor1d(rows, 'int32'));
    }
    const base = tf.tensor1d(M.basePoint as number[]);
    return tf.add(base, normal(kInit, [chains, d], { std: 1.5 }));
  });
  const projected = projectToManifold(M.constraintFn, start, {});
  start.dispose();
  let state = kernel.init(projected.position);
  if (!Object.values(state).includes(projected.position)) projected.position.dispose();
  const acceptance: number[] = [];
  const traceSteps: number[] = [];
  const positions: Float32Array[] = [];
  try {
    let k = kRun;
    for (let s = 1; s <= steps; s++) {
      const [kNext, kStep] = split(k, 2) as [Key, Key];
      k = kNext;
      const [next, info] = kernel.step(kStep, state);
      const keep = new Set<tf.Tensor>([next.position, next.energy, next.energyGrad]);
      tf.dispose([state.position, state.energy, state.energyGrad].filter((t) => !keep.has(t)));
      state = next;
      acceptance.push(info.acceptanceRate);
      if (s % every === 0) {
        traceSteps.push(s);
        positions.push(state.position.dataSync() as Float32Array);
      }
    }
    const final = state.position.dataSync() as Float32Array;
    const maxConstraint = tf.tidy(() => tf.max(tf.abs(M.constraintFn(state.position))).dataSync()[0] as number);
    return {
      samples: { data: final, shape: [chains, d] },
      trace: { steps: traceSteps, positions },
      acceptance,
      maxConstraint,
      ms: performance.now() - t0,
    };
  } finally {
    disposeConstrainedState(state);
  }
}
