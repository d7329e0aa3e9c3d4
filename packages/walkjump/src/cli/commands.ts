import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { essBulk } from '@walkjump/metrics';
import { DataError, useBackend, ValueError, writeFileAtomic, writeJsonAtomic } from '@walkjump/tensor';
import type { HostArray } from '../api/data.ts';
import { type MetricName, METRICS, evaluate } from '../api/evaluate.ts';
import { assertMethodAvailable, FIT_METHODS, type FitEnergyResult, fitEnergy } from '../api/fit-energy.ts';
import { fitManifold, sampleManifold } from '../api/manifold.ts';
import {
  type EnergyModel,
  type FitMethod,
  loadModel,
  type ManifoldSpec,
  type NetSpec,
  MODEL_FORMAT_VERSION,
  readModelConfig,
  saveModel,
} from '../api/model.ts';
import { SAMPLERS, type SamplerName, walkJumpAsync } from '../api/walk-jump.ts';
import { mnistClassifierFn } from '../internal/classifier.ts';
import { decodeNpy, encodeNpy } from '../internal/npy.ts';
import { ensureWritableDir } from '../internal/run-folder.ts';
import { imageGridPng, lossCurveSpec, type ScatterGroup, scatterSpec, traceSpec } from '../plot/pictures.ts';
import { renderPng } from '../plot/render.ts';
import { checkDataSpec, type LoadedData, loadDataSpec, resolveDataDir } from './data-spec.ts';
import { makeProgress, type OutputMode, type Progress } from './progress.ts';

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends ValueError {}

export const BACKENDS = ['auto', 'wasm', 'cpu', 'node', 'node-gpu'] as const;

export const intFlag = (flag: string, raw: string | undefined, min: number, what: string): number | undefined => {
  if (raw === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be ${what}, got ${raw}`);
  return n;
};
export const numFlag = (flag: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got ${raw}`);
  return n;
};
export const choiceFlag = <T extends string>(
  flag: string,
  raw: string | undefined,
  allowed: readonly T[],
): T | undefined => {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw))
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
};
export const backendFlag = (raw: string | undefined) => choiceFlag('--backend', raw, BACKENDS);

const modeOf = (f: { quiet?: boolean; json?: boolean }): OutputMode =>
  f.json === true ? 'json' : f.quiet === true ? 'quiet' : 'human';

/** SIGINT → abort: the first Ctrl-C finishes the current step, the second quits at once. */
function interruptible(progress: Progress): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let n = 0;
  const on = (): void => {
    n++;
    if (n > 1) process.exit(130);
    progress.stop();
    process.stderr.write(
      'walkjump: interrupt — finishing the current step and writing a checkpoint (Ctrl-C again to quit now)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', on);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', on) };
}

/** What `run.json` of a run folder holds. */
export interface RunInfo {
  readonly formatVersion: number;
  readonly walkjump: string;
  readonly data: string;
  readonly method: FitMethod | 'cebm';
  readonly net: string;
  readonly sigma: number;
  readonly M: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly maxTrain: number | null;
}

function readRunInfo(run: string): RunInfo {
  readModelConfig(run); // existence and format version of the model first: the clearer message
  const path = join(run, 'run.json');
  if (!existsSync(path)) throw new DataError(`${path} is missing: ${run} is not a walkjump run folder`);
  const info = JSON.parse(readFileSync(path, 'utf8')) as RunInfo;
  if (typeof info.formatVersion !== 'number' || info.formatVersion > MODEL_FORMAT_VERSION) {
    throw new ValueError(
      `${path} was written by a newer walkjump (run-folder format ${String(info.formatVersion)}; this version reads up to ${MODEL_FORMAT_VERSION}): upgrade walkjump`,
    );
  }
  return info;
}

type NetFlag = { kind: 'mlp'; widths?: number[] } | { kind: 'conv'; channels?: number[] };
const parseNet = (raw: string | undefined): NetFlag | undefined => {
  if (raw === undefined) return undefined;
  const m = /^(mlp|conv)(?::(\d+(?:[x,]\d+)*))?$/.exec(raw);
  if (m === null) {
    throw new UsageError(
      `--net must be mlp, conv, mlp:<width>x<width>… or conv:<channels>x… (e.g. mlp:256x256), got ${JSON.stringify(raw)}`,
    );
  }
  const sizes = m[2]?.split(/[x,]/).map(Number);
  if (m[1] === 'conv') return sizes === undefined ? { kind: 'conv' } : { kind: 'conv', channels: sizes };
  return sizes === undefined ? { kind: 'mlp' } : { kind: 'mlp', widths: sizes };
};

/** Rows [0, n) of a host matrix. */
const head = (a: HostArray, n: number): HostArray => {
  const m = Math.min(n, a.shape[0] as number);
  const d = a.data.length / (a.shape[0] as number);
  return { data: a.data.subarray(0, m * d), shape: [m, ...a.shape.slice(1)] };
};

export interface TrainFlags {
  data?: string;
  method?: string;
  net?: string;
  sigma?: string;
  M?: string;
  steps?: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  out?: string;
  checkpointEvery?: string;
  maxTrain?: string;
  dataDir?: string;
  resume?: boolean;
  backend?: string;
  quiet?: boolean;
  json?: boolean;
}

const netName = (n: NetSpec): string =>
  n.kind === 'mlp' ? `MLP ${n.widths.join('×')}` : `ConvNet ${n.channels.join('→')} ch, dense ${n.hidden}`;

/** `walkjump train`. */
export async function trainCommand(flags: TrainFlags, version: string): Promise<number> {
  if (flags.data === undefined) throw new UsageError("required option '--data <spec>' not specified");
  const method = choiceFlag('--method', flags.method, [...FIT_METHODS, 'cebm'] as const) ?? 'deen';
  if (method === 'cebm' && !/^(earth|protein):/.test(flags.data)) {
    throw new UsageError(
      `--method cebm (a constrained EBM) needs manifold data (earth:… or protein:…), got ${JSON.stringify(flags.data)}`,
    );
  }
  if (method === 'cebm' && flags.resume === true)
    throw new UsageError('--resume is not available for --method cebm (it writes no checkpoints)');
  const netFlag = parseNet(flags.net);
  // Manifold data (unit sphere, torus of tube radius 1) is smoothed less than images and mixtures.
  const sigma = numFlag('--sigma', flags.sigma) ?? (/^(earth|protein):/.test(flags.data ?? '') ? 0.1 : 0.3);
  const M = intFlag('--M', flags.M, 1, 'a positive integer');
  const steps = intFlag('--steps', flags.steps, 1, 'a positive integer') ?? 1000;
  const batchSize = intFlag('--batch-size', flags.batchSize, 1, 'a positive integer') ?? 128;
  const learningRate = numFlag('--lr', flags.lr) ?? 1e-3;
  const seed = intFlag('--seed', flags.seed, 0, 'a non-negative integer') ?? 0;
  const checkpointEvery = intFlag('--checkpoint-every', flags.checkpointEvery, 1, 'a positive integer') ?? 100;
  const maxTrain = intFlag('--max-train', flags.maxTrain, 2, 'an integer ≥ 2') ?? null;
  const backend = backendFlag(flags.backend);
  try {
    checkDataSpec(flags.data);
  } catch (e) {
    throw e instanceof ValueError ? new UsageError(e.message) : e;
  }
  if ((method === 'deen' || method === 'dual') && M !== undefined && M !== 1) {
    throw new UsageError(
      `--M must be 1 for --method ${method} (one measurement), got ${M}; use --method multimeasurement or mdae for M > 1`,
    );
  }
  if (method !== 'cebm') assertMethodAvailable(method, '--method: ');
  const out = resolve(flags.out ?? join('runs', flags.data.replace(/[^A-Za-z0-9_-]+/g, '-')));
  const info: RunInfo = {
    formatVersion: MODEL_FORMAT_VERSION,
    walkjump: version,
    data: flags.data,
    method,
    net: flags.net ?? 'mlp',
    sigma,
    M: M ?? (method === 'multimeasurement' || method === 'mdae' ? 4 : 1),
    steps,
    batchSize,
    learningRate,
    seed,
    maxTrain,
  };
  const ckpt = join(out, 'checkpoints');
  if (flags.resume === true) {
    if (!existsSync(join(ckpt, 'checkpoint.json'))) throw new DataError(`--resume: no checkpoint in ${out}`);
    const old = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunInfo;
    for (const k of ['data', 'method', 'sigma', 'M', 'batchSize', 'learningRate', 'seed', 'maxTrain'] as const) {
      if (JSON.stringify(old[k]) !== JSON.stringify(info[k]))
        throw new UsageError(
          `--resume: ${k} is ${JSON.stringify(info[k])} but the run in ${out} used ${JSON.stringify(old[k])}`,
        );
    }
  }
  const mode = modeOf(flags);
  const progress = makeProgress(mode);
  const b = await useBackend(
    backend ?? (process.env.WALKJUMP_BACKEND as (typeof BACKENDS)[number] | undefined) ?? 'auto',
  );
  const t0 = performance.now();
  const data = await loadDataSpec(flags.data, await resolveDataDir(flags.dataDir));
  progress.log(`backend: ${b.name}${b.simd ? ' (SIMD)' : ''}, ${b.threads} thread(s)`);
  const train = 'sample' in data.train ? data.train : maxTrain === null ? data.train : head(data.train, maxTrain);
  progress.log(
    `data: ${flags.data}${'shape' in train ? ` [${train.shape.join(', ')}]` : ' (fresh samples every step)'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const existed = existsSync(out);
  ensureWritableDir(out, '--out');
  if (flags.resume !== true) rmSync(ckpt, { recursive: true, force: true });
  const { signal, dispose } = interruptible(progress);
  let result: FitEnergyResult;
  const tTrain = performance.now();
  try {
    await writeJsonAtomic(join(out, 'run.json'), info);
    progress.start('training', steps);
    result =
      method === 'cebm'
        ? await fitManifold({
            data: train as HostArray,
            manifold: data.manifold as ManifoldSpec,
            method: 'cebm',
            ...(netFlag?.kind === 'mlp' && netFlag.widths !== undefined && { net: { widths: netFlag.widths } }),
            steps,
            batchSize,
            ...(flags.lr !== undefined && { learningRate }),
            seed,
            dataName: flags.data,
            onStep: (e) => progress.update(e.step, { loss: e.loss, 'steps/s': e.stepsPerSecond }),
          })
        : await fitEnergy({
            data: train,
            method,
            sigma,
            M: info.M,
            ...(netFlag !== undefined && { net: netFlag }),
            steps,
            batchSize,
            learningRate,
            seed,
            signal,
            checkpoint: { dir: ckpt, every: checkpointEvery },
            resume: flags.resume === true,
            ...(data.image !== undefined && { image: data.image }),
            ...(data.manifold !== undefined && { manifold: data.manifold }),
            dataName: flags.data,
            onStep: (e) => progress.update(e.step, { loss: e.loss, 'steps/s': e.stepsPerSecond }),
          });
  } catch (e) {
    progress.stop();
    // A run that failed (e.g. NaN loss) leaves no half-made folder behind, unless it was resuming.
    if (!existed && flags.resume !== true) rmSync(out, { recursive: true, force: true });
    throw e;
  } finally {
    progress.stop();
    dispose();
  }
  const trainMs = performance.now() - tTrain;
  try {
    if (result.resumedFrom !== null) progress.log(`resumed from step ${result.resumedFrom}`);
    if (result.stopped === 'aborted') {
      progress.json({ event: 'interrupted', step: result.step, out });
      process.stderr.write(
        `walkjump: interrupted at step ${result.step}; checkpoint saved in ${ckpt} — rerun with --resume to continue\n`,
      );
      return 130;
    }
    const history = result.history.map((h) => ({ step: h.step, loss: h.loss }));
    const png = await renderPng(
      lossCurveSpec(history, `${method} loss — ${flags.data}, σ = ${sigma}, ${netName(result.model.config.net)}`),
    );
    await writeFileAtomic(join(out, 'loss.png'), png);
    await writeJsonAtomic(join(out, 'history.json'), { history, trainMs, resumedFrom: result.resumedFrom, backend: b });
    await saveModel(result.model, out);
    const last = history.slice(-50);
    const finalLoss = last.reduce((s, h) => s + h.loss, 0) / Math.max(1, last.length);
    const summary = {
      event: 'done',
      command: 'train',
      out,
      step: result.step,
      finalLoss,
      trainSeconds: trainMs / 1000,
      backend: b.name,
    };
    if (mode === 'json') progress.json(summary);
    else if (mode === 'human')
      process.stdout.write(
        `trained ${result.model.config.method} energy on ${flags.data}: ${result.step} steps in ${(trainMs / 1000).toFixed(1)} s, loss ${finalLoss.toPrecision(4)} (mean of the last 50)\nwrote ${out}/{run.json,model.json,model.safetensors,history.json,loss.png}\n`,
      );
    return 0;
  } finally {
    result.model.dispose();
  }
}

export interface SampleFlags {
  run?: string;
  sampler?: string;
  steps?: string;
  every?: string;
  chains?: string;
  init?: string;
  stepSize?: string;
  friction?: string;
  seed?: string;
  dataDir?: string;
  backend?: string;
  resume?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** Folder of the checkpoint that an interrupted `walkjump sample` leaves in its run folder. */
export const SAMPLE_CHECKPOINT_DIR = 'sample-checkpoint';

const MANIFOLD_SAMPLERS = ['langevin', 'hmc'] as const;

/** Longitude/latitude (degrees) of points on S², or the two angles (degrees) of points on the torus. */
function chartOf(pts: HostArray, manifold: 'sphere' | 'torus', R = 2): { x: Float32Array; y: Float32Array } {
  const n = pts.shape[0] as number;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const deg = 180 / Math.PI;
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [pts.data[3 * i] as number, pts.data[3 * i + 1] as number, pts.data[3 * i + 2] as number];
    if (manifold === 'sphere') {
      x[i] = Math.atan2(b, a) * deg;
      y[i] = Math.asin(Math.max(-1, Math.min(1, c / Math.hypot(a, b, c)))) * deg;
    } else {
      x[i] = Math.atan2(b, a) * deg;
      y[i] = Math.atan2(c, Math.hypot(a, b) - R) * deg;
    }
  }
  return { x, y };
}

const coords = (a: HostArray): { x: Float32Array; y: Float32Array } => {
  const n = a.shape[0] as number;
  const d = a.data.length / n;
  return {
    x: Float32Array.from({ length: n }, (_, i) => a.data[i * d] as number),
    y: Float32Array.from({ length: n }, (_, i) => a.data[i * d + 1] as number),
  };
};

/** Scalar summaries of a sample for traces and ESS: coordinates (d ≤ 8) or fixed random ±1/√d projections. */
function summaryFns(d: number): { fns: ((s: Float32Array, o: number) => number)[]; what: string; first: string } {
  if (d <= 8) {
    return {
      fns: Array.from({ length: d }, (_, j) => (s: Float32Array, o: number) => s[o + j] as number),
      what: `the ${d} coordinates`,
      first: 'x̂₀',
    };
  }
  let state = 12345;
  const fns = Array.from({ length: 4 }, () => {
    const w = Float32Array.from({ length: d }, () => {
      state = (1103515245 * state + 12345) % 2147483648;
      return (state & 1024 ? 1 : -1) / Math.sqrt(d);
    });
    return (s: Float32Array, o: number): number => {
      let acc = 0;
      for (let j = 0; j < d; j++) acc += (w[j] as number) * (s[o + j] as number);
      return acc;
    };
  });
  return { fns, what: '4 fixed random projections ±1/√d', first: 'random projection 1' };
}

/** `walkjump sample`. */
export async function sampleCommand(flags: SampleFlags): Promise<number> {
  if (flags.run === undefined) throw new UsageError("required option '--run <dir>' not specified");
  const run = resolve(flags.run);
  const info = readRunInfo(run);
  const cfg = readModelConfig(run);
  const onManifold = cfg.manifold !== undefined;
  const sampler = onManifold
    ? (choiceFlag('--sampler', flags.sampler, MANIFOLD_SAMPLERS) ?? 'langevin')
    : (choiceFlag('--sampler', flags.sampler, SAMPLERS) ?? 'ula');
  const steps = intFlag('--steps', flags.steps, 1, 'a positive integer') ?? 200;
  const every = intFlag('--every', flags.every, 1, 'a positive integer') ?? Math.max(1, Math.floor(steps / 10));
  const chains = intFlag('--chains', flags.chains, 2, 'an integer ≥ 2') ?? 64;
  const init = choiceFlag('--init', flags.init, ['noise', 'data'] as const) ?? 'noise';
  const stepSize = numFlag('--step-size', flags.stepSize);
  const friction = numFlag('--friction', flags.friction);
  const seed = intFlag('--seed', flags.seed, 0, 'a non-negative integer') ?? 0;
  const backend = backendFlag(flags.backend);
  const resume = flags.resume === true;
  if (onManifold && resume)
    throw new UsageError('--resume is not available for manifold sampling (it writes no checkpoints)');
  const ckpt = join(run, SAMPLE_CHECKPOINT_DIR);
  if (resume && !existsSync(join(ckpt, 'checkpoint.json')))
    throw new DataError(`--resume: no sample checkpoint in ${run}`);
  const mode = modeOf(flags);
  const progress = makeProgress(mode);
  const b = await useBackend(
    backend ?? (process.env.WALKJUMP_BACKEND as (typeof BACKENDS)[number] | undefined) ?? 'auto',
  );
  progress.log(`backend: ${b.name}`);
  let data: LoadedData | undefined;
  let reference: HostArray | undefined;
  let initData: HostArray | undefined;
  const needData = init === 'data' || cfg.image === undefined;
  if (needData) {
    data = await loadDataSpec(info.data, await resolveDataDir(flags.dataDir));
    reference = await data.reference(Math.max(chains, 1000));
    // Chains start from the training data (never from the held-out reference that eval compares with).
    if (init === 'data') initData = 'shape' in data.train ? data.train : reference;
  }
  const model: EnergyModel = await loadModel(run);
  try {
    const files: string[] = [];
    let record: Record<string, unknown>;
    let jump: HostArray;
    let walk: HostArray | undefined;
    let jumps: readonly Float32Array[];
    let traceSteps: readonly number[];
    let acceptanceTrace: readonly number[] | undefined;
    // A resumed run's bar starts at the checkpoint's step; the rate counts this session's steps only.
    const r0 = resume ? (JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8')) as { step: number }).step : 0;
    const tSample = performance.now();
    progress.start('sampling', steps, r0);
    if (onManifold) {
      const r = sampleManifold({
        model,
        sampler: sampler as 'langevin' | 'hmc',
        steps,
        every,
        chains,
        seed,
        init,
        ...(stepSize !== undefined && { stepSize }),
        ...(init === 'data' && initData !== undefined && { data: initData }),
      });
      progress.update(steps);
      jump = r.samples;
      jumps = r.trace.positions;
      traceSteps = r.trace.steps;
      acceptanceTrace = r.acceptance;
      record = {
        kind: 'manifold',
        sampler,
        steps,
        every,
        chains,
        init,
        seed,
        acceptance: r.acceptance.reduce((s, a) => s + a, 0) / r.acceptance.length,
        maxConstraint: r.maxConstraint,
        seconds: r.ms / 1000,
      };
    } else {
      if (!resume) rmSync(ckpt, { recursive: true, force: true });
      // "resumed from step N" is part of the answer: printed even with --quiet (a JSON line with --json).
      else if (mode === 'json') progress.json({ event: 'resumed', command: 'sample', step: r0 });
      else process.stderr.write(`resumed from step ${r0}\n`);
      const interrupt = interruptible(progress);
      let r: Awaited<ReturnType<typeof walkJumpAsync>>;
      try {
        r = await walkJumpAsync({
          model,
          sampler: sampler as SamplerName,
          steps,
          every,
          chains,
          init,
          seed,
          ...(stepSize !== undefined && { stepSize }),
          ...(friction !== undefined && { friction }),
          ...(init === 'data' && initData !== undefined && { data: initData }),
          signal: interrupt.signal,
          checkpoint: ckpt,
          resume,
          onProgress: (e) => {
            const secs = (performance.now() - tSample) / 1000;
            const done = e.step - r0;
            progress.update(e.step, secs > 0 ? { 'steps/s': done / secs } : undefined);
          },
        });
      } finally {
        interrupt.dispose();
      }
      if (r.status === 'interrupted') {
        progress.stop();
        progress.json({ event: 'interrupted', command: 'sample', step: r.step, checkpoint: ckpt });
        process.stderr.write(
          `walkjump: interrupted at step ${r.step}; checkpoint saved in ${ckpt} — rerun with --resume to continue\n`,
        );
        return 130;
      }
      rmSync(ckpt, { recursive: true, force: true });
      jump = r.jump;
      walk = r.walk;
      jumps = r.trace.jumps;
      traceSteps = r.trace.steps;
      record = {
        kind: 'walk-jump',
        ...r.settings,
        acceptance: r.acceptance ?? null,
        nonFinite: r.nonFinite,
        seconds: r.ms / 1000,
      };
    }
    progress.stop();
    // Bulk ESS (Vehtari et al. 2021) over chains of scalar summaries of the recorded jumps: the
    // coordinates for d ≤ 8, else 4 fixed random ±1/√d projections (pixels at the border of an
    // image never move, so coordinates would say nothing there).
    const d = jump.data.length / chains;
    const summaries = summaryFns(d);
    if (jumps.length >= 4) {
      record.essBulk = summaries.fns.map((f) =>
        essBulk(Array.from({ length: chains }, (_, c) => Float64Array.from(jumps, (s) => f(s, c * d)))),
      );
      record.essNote = `bulk ESS of ${summaries.what} over ${chains} chains × ${jumps.length} recorded jumps`;
    }
    // --- pictures
    if (cfg.image !== undefined) {
      const { height: h, width: w } = cfg.image;
      const imgs = Array.from({ length: Math.min(chains, 64) }, (_, c) => jump.data.subarray(c * d, (c + 1) * d));
      await writeFileAtomic(join(run, 'samples.png'), imageGridPng(imgs, h, w, 8));
      const strip: Float32Array[] = [];
      const cols = Math.min(jumps.length, 16);
      const pick = Array.from({ length: cols }, (_, i) => Math.round((i * (jumps.length - 1)) / Math.max(1, cols - 1)));
      for (let c = 0; c < Math.min(chains, 8); c++)
        for (const s of pick) strip.push((jumps[s] as Float32Array).subarray(c * d, (c + 1) * d));
      await writeFileAtomic(join(run, 'chains.png'), imageGridPng(strip, h, w, cols));
      files.push('samples.png', 'chains.png');
    } else if (cfg.manifold !== undefined && reference !== undefined) {
      const m = cfg.manifold.name;
      const R = cfg.manifold.name === 'torus' ? (cfg.manifold.R ?? 2) : 2;
      const groups: ScatterGroup[] = [
        { name: 'data', ...chartOf(reference, m, R) },
        { name: 'samples', ...chartOf(jump, m, R) },
      ];
      const spec = scatterSpec(groups, {
        title:
          m === 'sphere' ? `${info.data} on the sphere (longitude/latitude)` : `${info.data} on the torus (angles)`,
        xTitle: m === 'sphere' ? 'longitude (°)' : 'φ (°)',
        yTitle: m === 'sphere' ? 'latitude (°)' : 'ψ (°)',
        domain: { x: [-180, 180], y: m === 'sphere' ? [-90, 90] : [-180, 180] },
      });
      await writeFileAtomic(join(run, 'scatter.png'), await renderPng(spec));
      files.push('scatter.png');
    } else if (d === 2 && reference !== undefined && walk !== undefined) {
      const spec = scatterSpec(
        [
          { name: 'data', ...coords(reference) },
          { name: 'walk y', ...coords(walk) },
          { name: 'jump x̂(y)', ...coords(jump) },
        ],
        { title: `walk-jump samples — ${info.data}, σ = ${cfg.sigma}`, xTitle: 'x₁', yTitle: 'x₂' },
      );
      await writeFileAtomic(join(run, 'scatter.png'), await renderPng(spec));
      files.push('scatter.png');
    }
    const series: { chain: number; step: number; value: number }[] = [];
    const f0 = summaries.fns[0] as (s: Float32Array, o: number) => number;
    for (let c = 0; c < Math.min(chains, 8); c++) {
      for (let i = 0; i < jumps.length; i++)
        series.push({ chain: c, step: traceSteps[i] as number, value: f0(jumps[i] as Float32Array, c * d) });
    }
    await writeFileAtomic(
      join(run, 'trace.png'),
      await renderPng(
        traceSpec(series, {
          title: `${summaries.first} of the jumps, 8 chains (${sampler})`,
          yTitle: summaries.first,
          ...(acceptanceTrace !== undefined && { acceptance: acceptanceTrace }),
        }),
      ),
    );
    files.push('trace.png');
    if (info.data === 'binarized-mnist') {
      // Binary data: the jump is E[x | y] ∈ [0, 1] per pixel; the bits are [x̂ > ½] (as sampleBinary).
      const bits = Float32Array.from(jump.data, (p) => (p > 0.5 ? 1 : 0));
      await writeFileAtomic(join(run, 'bits.npy'), encodeNpy(bits, jump.shape));
      if (cfg.image !== undefined) {
        const { height: h, width: w } = cfg.image;
        const imgs = Array.from({ length: Math.min(chains, 64) }, (_, c) => bits.subarray(c * d, (c + 1) * d));
        await writeFileAtomic(join(run, 'bits.png'), imageGridPng(imgs, h, w, 8));
      }
      files.push('bits.npy', 'bits.png');
    }
    if (walk !== undefined) await writeFileAtomic(join(run, 'walk.npy'), encodeNpy(walk.data, walk.shape));
    await writeFileAtomic(join(run, 'samples.npy'), encodeNpy(jump.data, jump.shape));
    await writeJsonAtomic(join(run, 'sample.json'), record);
    files.push(...(walk !== undefined ? ['walk.npy'] : []), 'samples.npy', 'sample.json');
    if (mode === 'json') progress.json({ event: 'done', command: 'sample', run, files, ...record });
    else if (mode === 'human')
      process.stdout.write(
        `sampled ${chains} chains × ${steps} steps (${sampler}) in ${(record.seconds as number).toFixed(1)} s\nwrote ${run}/{${files.join(',')}}\n`,
      );
    return 0;
  } finally {
    progress.stop();
    model.dispose();
  }
}

export interface EvalFlags {
  run?: string;
  metrics?: string;
  n?: string;
  dataDir?: string;
  backend?: string;
  json?: boolean;
  quiet?: boolean;
}

/** `walkjump eval`. */
export async function evalCommand(flags: EvalFlags): Promise<number> {
  if (flags.run === undefined) throw new UsageError("required option '--run <dir>' not specified");
  const run = resolve(flags.run);
  const wanted = flags.metrics?.split(',').map((s) => s.trim());
  if (wanted !== undefined) for (const m of wanted) choiceFlag('--metrics', m, METRICS);
  const nFlag = intFlag('--n', flags.n, 4, 'an integer ≥ 4');
  const backend = backendFlag(flags.backend);
  const info = readRunInfo(run);
  const cfg = readModelConfig(run);
  const path = join(run, 'samples.npy');
  if (!existsSync(path)) throw new DataError(`no samples in ${run}: run \`walkjump sample --run ${flags.run}\` first`);
  const samples = decodeNpy(readFileSync(path), 'samples.npy');
  // Reference rows: twice the samples (at least 500, at most 2000) unless --n says otherwise; the
  // distances cost O(n²d).
  const n = nFlag ?? Math.min(2000, Math.max(500, 2 * (samples.shape[0] as number)));
  const mode = modeOf(flags);
  const progress = makeProgress(mode);
  await useBackend(backend ?? (process.env.WALKJUMP_BACKEND as (typeof BACKENDS)[number] | undefined) ?? 'auto');
  const data = await loadDataSpec(info.data, await resolveDataDir(flags.dataDir));
  const reference = await data.reference(n);
  const isMnist = info.data === 'mnist' || info.data === 'binarized-mnist';
  const classifier = isMnist ? await mnistClassifierFn() : undefined;
  const metrics =
    (wanted as MetricName[] | undefined) ??
    (classifier !== undefined ? [...METRICS] : METRICS.filter((m) => m !== 'classes'));
  if (metrics.includes('classes') && classifier === undefined)
    throw new UsageError('--metrics classes needs MNIST data and the MNIST classifier of @walkjump/nets');
  progress.log(
    `evaluating ${samples.shape[0]} samples against ${reference.shape[0]} reference samples of ${info.data}…`,
  );
  const t0 = performance.now();
  const r = evaluate({
    samples,
    data: reference,
    metrics,
    maxSamples: n,
    ...(classifier !== undefined && { classifier: classifier.fn }),
  });
  classifier?.dispose();
  const result = {
    ...r,
    data: info.data,
    model: { method: cfg.method, sigma: cfg.sigma, trainedSteps: cfg.trainedSteps },
    sample: existsSync(join(run, 'sample.json')) ? JSON.parse(readFileSync(join(run, 'sample.json'), 'utf8')) : null,
    seconds: (performance.now() - t0) / 1000,
    notes: {
      dataFloor:
        'the same distance between two halves of the reference data: the Monte Carlo floor at this sample size',
      ...(r.classHistogram !== undefined && {
        classes: 'argmax of the MNIST classifier of @walkjump/nets on the jump samples',
      }),
    },
  };
  await writeJsonAtomic(join(run, 'metrics.json'), result);
  if (mode === 'json') progress.json({ event: 'done', command: 'eval', run, ...result });
  else if (mode === 'human') {
    const f = (x: number | undefined): string => (x === undefined ? '—' : x.toPrecision(4));
    const lines = [`${info.data}: ${r.n} samples`];
    if (r.slicedWasserstein !== undefined)
      lines.push(`  sliced W₁       ${f(r.slicedWasserstein)}   (data floor ${f(r.dataFloor?.slicedWasserstein)})`);
    if (r.mmd !== undefined) lines.push(`  MMD²            ${f(r.mmd)}   (data floor ${f(r.dataFloor?.mmd)})`);
    if (r.energyDistance !== undefined)
      lines.push(`  energy distance ${f(r.energyDistance)}   (data floor ${f(r.dataFloor?.energyDistance)})`);
    if (r.classHistogram !== undefined)
      lines.push(`  classes         ${r.classesCovered}/10 covered; histogram ${r.classHistogram.join(' ')}`);
    lines.push(`wrote ${join(run, 'metrics.json')}`, '');
    process.stdout.write(lines.join('\n'));
  }
  return 0;
}

/** The repository root when running from a walkjump checkout (it has apps/reproductions), else null. */
function repoRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml')))
      return existsSync(join(dir, 'apps/reproductions/src/run.ts')) ? dir : null;
    dir = dirname(dir);
  }
  return null;
}

/** `walkjump reproduce <id>` / `walkjump reproduce list`: runs `apps/reproductions/src/run.ts` with tsx. */
export async function reproduceCommand(id: string, flags: { quick?: boolean; out?: string }): Promise<number> {
  const root = repoRoot();
  if (root === null) {
    throw new DataError(
      'walkjump reproduce needs a checkout of the walkjump repository (it runs apps/reproductions from source): git clone the repository, pnpm install, and run it there',
    );
  }
  const req = (await import('node:module')).createRequire(join(root, 'apps/reproductions/package.json'));
  let tsx: string;
  try {
    tsx = join(dirname(req.resolve('tsx/package.json')), 'dist/cli.mjs');
  } catch {
    throw new DataError(`walkjump reproduce: tsx is not installed in ${root} (run pnpm install there)`);
  }
  const args = [tsx, '--conditions=@walkjump/source', join(root, 'apps/reproductions/src/run.ts'), id];
  if (flags.quick === true) args.push('--quick');
  if (flags.out !== undefined) args.push('--out', resolve(flags.out));
  const child = spawn(process.execPath, args, { cwd: join(root, 'apps/reproductions'), stdio: 'inherit' });
  const forward = (): void => {
    child.kill('SIGINT');
  };
  process.on('SIGINT', forward);
  try {
    return await new Promise<number>((res) =>
      child.on('close', (code, sig) => res(code ?? (sig === 'SIGINT' ? 130 : 1))),
    );
  } finally {
    process.off('SIGINT', forward);
  }
}
