import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ring8 } from '@walkjump/datasets';
import { deenLoss, tweedieFromEnergy } from '@walkjump/empirical-bayes';
import { ula, walkJump } from '@walkjump/langevin';
import { mmd, modeCoverage, type PointArray, slicedWasserstein } from '@walkjump/metrics';
import { type MlpParams, mlp } from '@walkjump/nets';
import {
  adam,
  type BackendInfo,
  CHECKPOINT_MANIFEST,
  disposeOptState,
  disposeParams,
  fit,
  type Key,
  key,
  normal,
  type Params,
  split,
  useBackend,
  ValueError,
  writeFileAtomic,
  writeJsonAtomic,
} from '@walkjump/tensor';
import { ensureWritableDir, toCsv } from '../internal/run-folder.ts';
import { demoPlotSpec } from '../plot/demo-plot.ts';
import { renderPng } from '../plot/render.ts';
import { type DemoConfig, type DemoEvent, type DemoOptions, resolveDemoConfig } from './options.ts';

/** Distances between a sample set and fresh data. */
export interface SampleMetrics {
  /** Sliced 1-Wasserstein distance to fresh data (128 random directions). */
  readonly slicedWasserstein: number;
  /** Unbiased squared MMD to fresh data (Gaussian kernel, bandwidth in `notes.mmd`). */
  readonly mmd: number;
  /** Total variation between the mode weights (nearest-mode labels) and the true equal weights. */
  readonly modeTv: number;
}

/** What `metrics.json` holds. */
export interface DemoMetrics {
  /** Jump samples x̂(y_T) of the chains' last walk step. */
  readonly jump: SampleMetrics;
  /** Walk samples y_T (noisy space) of the chains' last step. */
  readonly walk: SampleMetrics;
  /** Fresh noisy data y = x + σε: what the walk should match. */
  readonly noisyData: SampleMetrics;
  /** A second fresh data set: the Monte Carlo floor of every metric at this sample size. */
  readonly dataFloor: SampleMetrics;
  /** Samples per set compared (= chains). */
  readonly samples: number;
  /** DEEN loss at the last training step. */
  readonly finalLoss: number;
  /** Training steps completed. */
  readonly trainedSteps: number;
  /** Step the training resumed from, or null. */
  readonly resumedFrom: number | null;
  /** Wall times in milliseconds. */
  readonly timing: {
    readonly trainMs: number;
    readonly sampleMs: number;
    readonly evalMs: number;
    readonly totalMs: number;
  };
  /** The backend that ran the demo. */
  readonly backend: BackendInfo;
  /** Versions of node and tfjs. */
  readonly versions: Readonly<Record<string, string>>;
  /** The configuration of the run. */
  readonly config: DemoConfig;
  /** What the numbers mean and why σ is what it is. */
  readonly notes: Readonly<Record<string, string>>;
}

/** Result of {@link runDemo}. */
export interface DemoResult {
  /** Absolute path of the run folder. */
  readonly out: string;
  /** True when aborted during training: a checkpoint was written and nothing else. */
  readonly interrupted: boolean;
  /** Training steps completed. */
  readonly step: number;
  /** Step the run resumed from, or null. */
  readonly resumedFrom: number | null;
  /** The metrics (also in `metrics.json`); absent when interrupted. */
  readonly metrics?: DemoMetrics;
}

const now = (): number => performance.now();
const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * The walk-jump demo on the 2-D ring of 8 Gaussians. Trains a DEEN energy E(y; θ) (an MLP
 * 2→64→64→1, swish) for the smoothed density of Y = X + N(0, σ²I) by minimizing eq. 3 of Saremi &
 * Hyvärinen (2019) with `fit` (checkpoints every `checkpointEvery` steps in `<out>/checkpoints`,
 * exact resume), runs `chains` parallel Langevin walks on it (eq. 5, step size ε = 0.2σ²), jumps
 * to x̂ = y − σ²∇E(y) (eqs. 2 and 6), and writes `config.json`, `samples.csv`, `metrics.json` and
 * `plot.png` atomically into the run folder `out`. Aborting `signal` during training finishes the
 * step, writes a checkpoint and resolves with `interrupted: true`. Node only; returns no tensors and
 * leaves none behind. Throws `ValueError` for bad options and `BackendError` for a missing backend.
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const t0 = now();
  const emit = (e: DemoEvent): void => opts.onEvent?.(e);
  const ring = ring8();
  const ringStd = ring.stds?.[0] ?? 0.1;
  const ringRadius = Math.hypot(...(ring.means[0] as number[]));
  const config = resolveDemoConfig(opts, { radius: ringRadius, std: ringStd });
  const out = resolve(config.out);
  ensureWritableDir(out, 'out');
  const ckptDir = join(out, 'checkpoints');
  const resumeFrom = opts.resume === true ? checkpointStep(ckptDir) : null;
  if (resumeFrom !== null) checkResumable(out, config);
  const backend = await useBackend(config.backend);
  emit({ type: 'backend', backend: backend.name });
  if (resumeFrom === null) rmSync(ckptDir, { recursive: true, force: true });
  await writeJsonAtomic(join(out, 'config.json'), config);

  const [kInit, kTrain, kSample, kEval] = split(key(config.seed), 4) as [Key, Key, Key, Key];
  const net = mlp({ widths: config.net.widths, activation: config.net.activation });

  // --- train (eq. 3)
  const tTrain = now();
  const init = net.init(kInit, [2]);
  const lr0 = config.learningRate;
  // Cosine decay to lr0/10: the late, small steps smooth out the SGD noise in the relative depths
  // of the modes, which the walk's mode weights depend on.
  const schedule = (t: number): number =>
    lr0 * (0.1 + 0.45 * (1 + Math.cos((Math.PI * Math.min(t, config.steps)) / config.steps)));
  if (resumeFrom !== null) emit({ type: 'resumed', step: resumeFrom });
  emit({ type: 'train-start', step: resumeFrom ?? 0, steps: config.steps });
  let lastLoss = Number.NaN;
  let rate = 0;
  let fitted: Awaited<ReturnType<typeof fit>>;
  try {
    fitted = await fit({
      params: init as unknown as Params,
      loss: (p, x: tf.Tensor, k) => {
        const mp = p as unknown as MlpParams;
        // DEEN sees E only through ∇_y E: the output bias gets a zero gradient from `fit`.
        return tf.mean(deenLoss(k, (y) => net.apply(mp, y), x, { sigma: config.sigma, checkFinite: false }));
      },
      batches: (_step, k) => ring.sample(k, config.batchSize),
      optimizer: adam({ learningRate: schedule }),
      steps: config.steps,
      key: kTrain,
      checkpoint: { dir: ckptDir, every: config.checkpointEvery },
      resume: resumeFrom !== null,
      ...(opts.signal !== undefined && { signal: opts.signal }),
      onStep: async (e) => {
        const done = e.step + 1;
        lastLoss = e.loss;
        if (Number.isFinite(e.stepsPerSecond))
          rate = rate === 0 ? e.stepsPerSecond : 0.95 * rate + 0.05 * e.stepsPerSecond;
        emit({ type: 'train-step', step: done, steps: config.steps, loss: e.loss, stepsPerSecond: rate });
        if (done % config.checkpointEvery === 0) emit({ type: 'checkpoint', step: done, path: ckptDir });
        // fit awaits only already-settled reads on wasm/cpu; let signals (Ctrl-C) through now and then.
        if (done % 10 === 0) await yieldToEventLoop();
      },
    });
  } finally {
    disposeParams(init as unknown as Params);
  }
  disposeOptState(fitted.optState);
  const trainMs = now() - tTrain;
  const interrupted = fitted.stopped === 'aborted';
  emit({ type: 'train-end', step: fitted.step, interrupted });
  if (interrupted) {
    disposeParams(fitted.params);
    return { out, interrupted: true, step: fitted.step, resumedFrom: resumeFrom };
  }
  if (!Number.isFinite(lastLoss)) lastLoss = fitted.history[fitted.history.length - 1]?.loss ?? Number.NaN;
  const params = fitted.params as unknown as MlpParams;
  const energy = (y: tf.Tensor): tf.Tensor => net.apply(params, y);

  try {
    // --- sample (eqs. 5 and 6)
    emit({ type: 'phase', phase: 'sample' });
    const tSample = now();
    const snaps = walkJumpSample(kSample, energy, config);
    const sampleMs = now() - tSample;

    // --- evaluate
    emit({ type: 'phase', phase: 'evaluate' });
    const tEval = now();
    const last = snaps[snaps.length - 1] as Snapshot;
    const [kd1, kd2, kn, kne, ke] = split(kEval, 5) as [Key, Key, Key, Key, Key];
    const n = config.chains;
    const read = async (make: () => tf.Tensor): Promise<Float32Array> => {
      const t = tf.tidy(make);
      try {
        return (await t.data()) as Float32Array;
      } finally {
        t.dispose();
      }
    };
    const data = await read(() => ring.sample(kd1, n));
    const data2 = await read(() => ring.sample(kd2, n));
    const noisy = await read(() => tf.add(ring.sample(kn, n), tf.mul(normal(kne, [n, 2]), config.sigma)));
    const spacing = 2 * ringRadius * Math.sin(Math.PI / 8);
    const bandwidth = spacing / 4;
    const points = (a: Float32Array): PointArray => ({ data: Float64Array.from(a), n: a.length / 2, d: 2 });
    const means = ring.means;
    const modeTv = (a: Float32Array): number => {
      const labels = new Int32Array(a.length / 2);
      for (let i = 0; i < labels.length; i++) {
        let best = 0;
        let bestD = Number.POSITIVE_INFINITY;
        means.forEach((m, k) => {
          const d = ((a[2 * i] as number) - (m[0] as number)) ** 2 + ((a[2 * i + 1] as number) - (m[1] as number)) ** 2;
          if (d < bestD) {
            bestD = d;
            best = k;
          }
        });
        labels[i] = best;
      }
      return modeCoverage(labels, { numModes: means.length, targetWeights: ring.weights }).tv ?? Number.NaN;
    };
    const dataPts = points(data);
    // The same directions for every comparison, so the numbers are comparable with each other.
    const score = (s: Float32Array): SampleMetrics => ({
      slicedWasserstein: slicedWasserstein(ke, points(s), dataPts, { projections: 128, p: 1 }),
      mmd: mmd(points(s), dataPts, { bandwidth }),
      modeTv: modeTv(s),
    });
    const jump = score(last.jump);
    const walk = score(last.walk);
    const noisyData = score(noisy);
    const dataFloor = score(data2);
    const evalMs = now() - tEval;

    // --- plot and write
    emit({ type: 'phase', phase: 'plot' });
    const grid = densityGrid(energy, ringRadius + 1.2, 70);
    const xy = (a: Float32Array, m = 600): { x: number[]; y: number[] } => {
      const k = Math.min(m, a.length / 2);
      return {
        x: Array.from({ length: k }, (_, i) => a[2 * i] as number),
        y: Array.from({ length: k }, (_, i) => a[2 * i + 1] as number),
      };
    };
    const png = await renderPng(
      demoPlotSpec({
        data: xy(data),
        walk: xy(last.walk),
        jump: xy(last.jump),
        density: grid,
        title: `walk-jump sampling on the ring of 8 Gaussians — DEEN at σ = ${config.sigma}, ${fitted.step} training steps`,
        subtitle: [
          `sliced W₁ to fresh data: jump ${jump.slicedWasserstein.toFixed(3)}, walk ${walk.slicedWasserstein.toFixed(3)} (noisy data ${noisyData.slicedWasserstein.toFixed(3)}, data ${dataFloor.slicedWasserstein.toFixed(3)});  ${n} chains × ${config.walkSteps} Langevin steps, ε = ${config.stepSize.toPrecision(2)}`,
        ],
      }),
    );
    emit({ type: 'phase', phase: 'write' });
    await writeFileAtomic(join(out, 'plot.png'), png);
    await writeFileAtomic(join(out, 'samples.csv'), samplesCsv(snaps));
    const metrics: DemoMetrics = {
      jump,
      walk,
      noisyData,
      dataFloor,
      samples: n,
      finalLoss: lastLoss,
      trainedSteps: fitted.step,
      resumedFrom: resumeFrom,
      timing: { trainMs, sampleMs, evalMs, totalMs: now() - t0 },
      backend,
      versions: { node: process.versions.node, tfjs: tf.version_core },
      config,
      notes: {
        sigma: `σ = ${config.sigma} against modes of std ${ringStd} spaced 2r·sin(π/8) = ${spacing.toFixed(3)} apart: the smoothed modes (std √(σ² + ${ringStd}²) = ${Math.hypot(config.sigma, ringStd).toFixed(3)}) stay separated (density between neighbours ≈ ${Math.exp(-((spacing / 2) ** 2) / (2 * (config.sigma ** 2 + ringStd ** 2))).toFixed(3)} of the peak), so jumps land on the modes; σ ≳ 0.45 merges them into a ring and the jumps land between modes`,
        walk: 'walk = Langevin samples y_T of the learned smoothed density (eq. 5); compare with noisyData',
        jump: 'jump = x̂(y_T) = y_T − σ²∇E(y_T) (eq. 6): a posterior mean, so slightly tighter than the data; compare with dataFloor',
        slicedWasserstein: 'sliced 1-Wasserstein over 128 random directions (the same for every row)',
        mmd: `unbiased MMD² with a Gaussian kernel of bandwidth ${bandwidth.toFixed(3)} (a quarter of the mode spacing)`,
        modeTv: 'total variation between the nearest-mode histogram and the equal mixture weights',
      },
    };
    await writeJsonAtomic(join(out, 'metrics.json'), metrics);
    return { out, interrupted: false, step: fitted.step, resumedFrom: resumeFrom, metrics };
  } finally {
    disposeParams(params as unknown as Params);
  }
}

/** The step of the checkpoint in `dir`, or null when there is none. */
function checkpointStep(dir: string): number | null {
  const path = join(dir, CHECKPOINT_MANIFEST);
  if (!existsSync(path)) return null;
  const step = (JSON.parse(readFileSync(path, 'utf8')) as { step?: unknown }).step;
  return typeof step === 'number' ? step : null;
}

function checkResumable(out: string, config: DemoConfig): void {
  const path = join(out, 'config.json');
  if (!existsSync(path)) return;
  const old = JSON.parse(readFileSync(path, 'utf8')) as Partial<DemoConfig>;
  for (const k of ['sigma', 'seed', 'batchSize', 'learningRate'] as const) {
    if (old[k] !== undefined && old[k] !== config[k]) {
      throw new ValueError(
        `runDemo: cannot resume: ${k} is ${String(config[k])} but the checkpointed run in ${out} used ${String(old[k])}`,
      );
    }
  }
}

interface Snapshot {
  readonly step: number;
  readonly walk: Float32Array;
  readonly jump: Float32Array;
}

/**
 * Parallel walk-jump chains with `walkJump` and `ula` of `@walkjump/langevin`: y₀ ~ N(0, r²I) (r the
 * ring's radius, so no chain starts on the data), y ← y − ε∇E(y) + √(2ε) N(0, I) (eq. 5), and every
 * `every` steps the jump x̂ = y − σ²∇E(y) (eq. 6). Returns host copies of the recorded samples and
 * leaves no tensor behind.
 */
function walkJumpSample(k: Key, energy: (y: tf.Tensor) => tf.Tensor, config: DemoConfig): Snapshot[] {
  const [kInit, kWalk] = split(k, 2) as [Key, Key];
  const init = tf.tidy(() => normal(kInit, [config.chains, 2], { std: config.dataset.radius }));
  const snaps: Snapshot[] = [];
  try {
    const result = walkJump({
      key: kWalk,
      kernel: ula({ energy }, { stepSize: config.stepSize, parameterization: 'saremi2019' }),
      jump: tweedieFromEnergy(energy, config.sigma),
      init,
      steps: config.walkSteps,
      every: config.every,
      collect: false,
      // Called every `every` steps only; the tensors are valid during the callback.
      onSample: (e) => {
        snaps.push({ step: e.step, walk: e.walk.dataSync() as Float32Array, jump: e.jump.dataSync() as Float32Array });
      },
    });
    // With collect: false the stacks are empty, but still tensors we own.
    tf.dispose([result.walk, result.jump]);
  } finally {
    init.dispose();
  }
  return snaps;
}

/** exp(−(E − min E)) on an n×n grid over [−half, half]², as `values[i * n + j]` at (xs[i], ys[j]). */
function densityGrid(energy: (y: tf.Tensor) => tf.Tensor, half: number, n: number) {
  const xs = Array.from({ length: n }, (_, i) => -half + (2 * half * i) / (n - 1));
  const values = tf.tidy(() => {
    const pts: number[] = [];
    for (const x of xs) for (const y of xs) pts.push(x, y);
    const e = energy(tf.tensor2d(pts, [n * n, 2]));
    return tf.exp(tf.neg(tf.sub(e, tf.min(e)))).dataSync();
  });
  return { xs, ys: xs, values };
}

function samplesCsv(snaps: readonly Snapshot[]): string {
  const rows: Array<Array<string | number>> = [];
  for (const s of snaps) {
    for (const [kind, a] of [
      ['walk', s.walk],
      ['jump', s.jump],
    ] as const) {
      for (let c = 0; c < a.length / 2; c++) rows.push([kind, a[2 * c] as number, a[2 * c + 1] as number, c, s.step]);
    }
  }
  return toCsv(['kind', 'x', 'y', 'chain', 'step'], rows);
}
