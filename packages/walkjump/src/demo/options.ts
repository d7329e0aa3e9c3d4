import { type BackendName, parseBackendName, ValueError } from '@walkjump/tensor';

/** Options of {@link runDemo}; every field has a default. */
export interface DemoOptions {
  /** Run folder (default `runs/demo`). */
  readonly out?: string;
  /** DEEN training steps (default 3000). */
  readonly steps?: number;
  /** Noise level σ of the smoothed density the energy is learned for (default 0.3). */
  readonly sigma?: number;
  /** Compute backend (default `auto`, or `WALKJUMP_BACKEND`). */
  readonly backend?: BackendName;
  /** Seed of every random draw (default 0). */
  readonly seed?: number;
  /** Continue from the last checkpoint in the run folder (default false). */
  readonly resume?: boolean;
  /** Parallel walk-jump chains, also the number of samples the metrics compare (default 2000). */
  readonly chains?: number;
  /** Langevin steps per chain (default 300). */
  readonly walkSteps?: number;
  /** Record a walk and a jump sample every this many walk steps (default 50). */
  readonly every?: number;
  /** Training batch size (default 512). */
  readonly batchSize?: number;
  /** Peak Adam learning rate, cosine-decayed to a tenth (default 1e-3). */
  readonly learningRate?: number;
  /** Checkpoint every this many training steps (default 100). */
  readonly checkpointEvery?: number;
  /** Called with progress events (training steps, phases). */
  readonly onEvent?: (e: DemoEvent) => void;
  /** Aborting finishes the current training step, writes a checkpoint and returns early. */
  readonly signal?: AbortSignal;
}

/** Progress events of {@link runDemo}. */
export type DemoEvent =
  | { readonly type: 'backend'; readonly backend: string }
  | { readonly type: 'resumed'; readonly step: number }
  | { readonly type: 'train-start'; readonly step: number; readonly steps: number }
  | {
      readonly type: 'train-step';
      readonly step: number;
      readonly steps: number;
      readonly loss: number;
      readonly stepsPerSecond: number;
    }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string }
  | { readonly type: 'train-end'; readonly step: number; readonly interrupted: boolean }
  | { readonly type: 'phase'; readonly phase: 'sample' | 'evaluate' | 'plot' | 'write' };

/** The demo's resolved configuration, as written to `config.json`. */
export interface DemoConfig {
  /** Run folder, as given. */
  readonly out: string;
  /** DEEN training steps. */
  readonly steps: number;
  /** Noise level σ. */
  readonly sigma: number;
  /** Backend asked for. */
  readonly backend: BackendName;
  /** Seed of every random draw. */
  readonly seed: number;
  /** Parallel walk-jump chains (= samples compared by the metrics). */
  readonly chains: number;
  /** Langevin steps per chain. */
  readonly walkSteps: number;
  /** Walk steps between recorded samples. */
  readonly every: number;
  /** Training batch size. */
  readonly batchSize: number;
  /** Peak Adam learning rate (cosine-decayed to a tenth). */
  readonly learningRate: number;
  /** Training steps between checkpoints. */
  readonly checkpointEvery: number;
  /** Langevin step size ε of eq. 5, chosen as 0.2·σ² (stable for energies of curvature up to ~1/σ²). */
  readonly stepSize: number;
  /** The data: `ring8` of `@walkjump/datasets` with its radius and mode std. */
  readonly dataset: { readonly name: 'ring8'; readonly radius: number; readonly std: number };
  /** The energy network. */
  readonly net: { readonly kind: 'mlp'; readonly widths: readonly number[]; readonly activation: 'swish' };
}

const positiveInt = (name: string, v: number | undefined, dflt: number): number => {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new ValueError(`${name} must be a positive integer, got ${String(v)}`);
  return x;
};
const positive = (name: string, v: number | undefined, dflt: number): number => {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x <= 0) throw new ValueError(`${name} must be a positive number, got ${String(v)}`);
  return x;
};

/** Validates {@link DemoOptions} and fills in defaults; throws ValueError/BackendError naming the option. */
export function resolveDemoConfig(opts: DemoOptions, ring: { radius: number; std: number }): DemoConfig {
  const sigma = positive('sigma', opts.sigma, 0.3);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0)
    throw new ValueError(`seed must be a non-negative integer, got ${String(opts.seed)}`);
  const walkSteps = positiveInt('walkSteps', opts.walkSteps, 300);
  return {
    out: opts.out ?? 'runs/demo',
    steps: positiveInt('steps', opts.steps, 3000),
    sigma,
    backend: parseBackendName(opts.backend ?? process.env.WALKJUMP_BACKEND ?? 'auto'),
    seed,
    chains: positiveInt('chains', opts.chains, 2000),
    walkSteps,
    every: Math.min(positiveInt('every', opts.every, 50), walkSteps),
    batchSize: positiveInt('batchSize', opts.batchSize, 512),
    learningRate: positive('learningRate', opts.learningRate, 1e-3),
    checkpointEvery: positiveInt('checkpointEvery', opts.checkpointEvery, 100),
    stepSize: 0.2 * sigma * sigma,
    dataset: { name: 'ring8', radius: ring.radius, std: ring.std },
    net: { kind: 'mlp', widths: [64, 64], activation: 'swish' },
  };
}
