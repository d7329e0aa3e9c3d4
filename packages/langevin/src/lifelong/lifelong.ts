import * as tf from '@tensorflow/tfjs-core';
import {
  assertInteger,
  assertPositive,
  type Denoiser,
  DataError,
  type EnergyFn,
  foldIn,
  hasCheckpoint,
  type Key,
  keyFromWords,
  loadCheckpoint,
  saveCheckpoint,
  ShapeError,
  ValueError,
} from '@walkjump/tensor';
import type { Kernel, KernelState } from '../kernels/overdamped.ts';

/** One emitted sample of {@link lifelongChain}; tensors valid only during the callback. */
export interface LifelongSample {
  /** Number of completed steps. */
  readonly step: number;
  /** Positions y [C, ...]. */
  readonly position: tf.Tensor;
  /** The jump x̂(y) [C, ...] when `jump` was given. */
  readonly jump?: tf.Tensor;
}

/** A divergence found at a health check of {@link lifelongChain}. */
export interface DivergenceEvent {
  /** The first step at which it was seen (for `nonFinite`, the first step where a chain reverted). */
  readonly step: number;
  /** `nonFinite`: a kernel reported a non-finite proposal; `energy`: max energy above `maxEnergy`; `magnitude`: max |y| above `maxAbs`. */
  readonly reason: 'nonFinite' | 'energy' | 'magnitude';
  /** The offending value (max energy or max |y|; for `nonFinite` the number of steps with a reverted chain). */
  readonly value: number;
  /** What the driver did. */
  readonly action: 'stop' | 'restart' | 'continue';
  /** The step of the last good state the chain was restored to (`stop`/`restart`), else the current step. */
  readonly restoredTo: number;
}

/** Health checks of {@link lifelongChain}. */
export interface LifelongCheck {
  /** Check every this many steps (and before every checkpoint); default 100. */
  readonly every?: number;
  /** Per-chain energies [C] for the exploding-energy test (e.g. the learned energy). */
  readonly energy?: EnergyFn;
  /** Diverged when max energy > `maxEnergy`. */
  readonly maxEnergy?: number;
  /** Diverged when max |y| > `maxAbs`. */
  readonly maxAbs?: number;
  /** Treat a step where any chain reverted on a non-finite proposal as a divergence; default true. */
  readonly nonFinite?: boolean;
  /** `stop` (default): return the last good state; `restart`: continue from it with fresh randomness; `continue`: only report. */
  readonly onDivergence?: 'stop' | 'restart' | 'continue';
  /** Give up (stop) after this many restarts; default 10. */
  readonly maxRestarts?: number;
}

/** Options of {@link lifelongChain}. */
export interface LifelongOptions<S extends KernelState> {
  /** Any kernel (`ula`, `mala`, `sachsUnderdamped`, `chengUnderdamped`, …). */
  readonly kernel: Kernel<S>;
  /** Base key; step k uses `foldIn(key, k)` (after r restarts: `foldIn(foldIn(key, 2³² − 1), r)` as base). */
  readonly key: Key;
  /** Initial positions [C, ...] (not disposed); required unless a checkpoint is resumed. */
  readonly init?: tf.Tensor;
  /** Total number of steps to reach (counting steps done before a resume). */
  readonly steps: number;
  /** Emit a sample every this many steps (to `onSample` and `file`); default: never. */
  readonly every?: number;
  /** The jump x̂(y) emitted beside y (asynchronous: never fed back). */
  readonly jump?: Denoiser;
  /** Receives each emitted sample (awaited). After a `restart`, samples after the restored step are emitted again. */
  readonly onSample?: (e: LifelongSample) => void | Promise<void>;
  /**
   * Appends each emitted sample to this file as little-endian float32: the C·n positions, then the
   * jumps if any. On resume and on restart the file is truncated to the matching length, so a
   * resumed run writes the same bytes as an uninterrupted one. Node only.
   */
  readonly file?: string;
  /** Atomic checkpoints of the full state (every state tensor, key, step, counters) via @walkjump/tensor's io. Node only. */
  readonly checkpoint?: { readonly dir: string; readonly every: number };
  /** Resume from `checkpoint.dir` when it holds a checkpoint; default true. */
  readonly resume?: boolean;
  readonly check?: LifelongCheck;
  /** Called at each divergence, before the action. */
  readonly onDivergence?: (e: DivergenceEvent) => void;
  /** Stops the chain at the next step (status `aborted`; the state is returned, nothing is checkpointed). */
  readonly signal?: AbortSignal;
}

/** Result of {@link lifelongChain}; the caller owns `state` (dispose with `tf.dispose(state)`). */
export interface LifelongResult<S extends KernelState> {
  readonly state: S;
  /** Completed steps (after a `stop` on divergence: the step of the returned good state). */
  readonly step: number;
  readonly status: 'completed' | 'diverged' | 'aborted';
  readonly divergences: readonly DivergenceEvent[];
  readonly restarts: number;
  /** The step the run resumed from, or undefined for a fresh start. */
  readonly resumedFrom: number | undefined;
  /** Mean acceptance over this session's steps and chains (kernels that report it). */
  readonly acceptance: number | undefined;
  /** Steps per second of this session (excluding checkpoint writes is not attempted: wall clock). */
  readonly stepsPerSecond: number;
}

interface Extra {
  readonly format: 'walkjump-lifelong';
  readonly restarts: number;
  readonly fileBytes: number;
  readonly fields: string[];
}

type Fs = typeof import('node:fs/promises');
type FileHandle = Awaited<ReturnType<Fs['open']>>;

const stateTensors = (s: KernelState): tf.Tensor[] =>
  Object.values(s).filter((v): v is tf.Tensor => v instanceof tf.Tensor);
const cloneState = <S extends KernelState>(s: S): S =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof tf.Tensor ? tf.clone(v) : v])) as unknown as S;

/**
 * A lifelong Markov chain driver (Saremi & Srivastava 2022, App. G.4: chains of 10⁶+ steps that
 * "never break"). Runs `kernel` from `init` (or from the checkpoint in `checkpoint.dir`) up to
 * `steps` steps with flat memory: every old state and info is disposed as soon as the next exists,
 * diagnostics accumulate on the device and are read only at health checks. Every `every` steps the
 * positions (and jumps x̂(y), asynchronous as in Remark 5) stream to `onSample` and/or `file`. Every
 * `checkpoint.every` steps the full state — every tensor of the kernel state (position, velocity,
 * cached score/energy), the base key, the step, the restart count and the stream's length — is
 * written atomically with `saveCheckpoint`, so a killed run resumes to the same final state
 * bit-for-bit (per-step keys are `foldIn(key, step)`). Health checks every `check.every` steps detect
 * divergence (a non-finite proposal reported in the kernel's Info, max energy above `maxEnergy`, max
 * |y| above `maxAbs`), report it with the step number, and stop at (or restart from) the last good
 * state. Returns the final state (caller owns) and a report. Node only when `file` or `checkpoint`
 * is used.
 */
export async function lifelongChain<S extends KernelState>(opts: LifelongOptions<S>): Promise<LifelongResult<S>> {
  const fn = 'lifelongChain';
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options are required`);
  const { kernel, jump } = opts;
  if (
    kernel === null ||
    typeof kernel !== 'object' ||
    typeof kernel.step !== 'function' ||
    typeof kernel.init !== 'function'
  ) {
    throw new ValueError(`${fn}: 'kernel' must be { init, step } (e.g. sachsUnderdamped(...))`);
  }
  assertInteger(fn, 'steps', opts.steps, 0);
  const every = opts.every ?? 0;
  if (opts.every !== undefined) assertInteger(fn, 'every', every, 1);
  if (jump !== undefined && typeof jump !== 'function')
    throw new ValueError(`${fn}: 'jump' must be a function y ↦ x̂(y)`);
  const check = opts.check ?? {};
  const checkEvery = check.every ?? 100;
  assertInteger(fn, 'check.every', checkEvery, 1);
  if (check.maxEnergy !== undefined && Number.isNaN(check.maxEnergy))
    throw new ValueError(`${fn}: 'check.maxEnergy' must be a number`);
  if (check.maxAbs !== undefined) assertPositive(fn, 'check.maxAbs', check.maxAbs);
  if (check.maxEnergy !== undefined && typeof check.energy !== 'function') {
    throw new ValueError(`${fn}: 'check.maxEnergy' needs 'check.energy' (per-chain energies [C])`);
  }
  const policy = check.onDivergence ?? 'stop';
  if (!['stop', 'restart', 'continue'].includes(policy)) {
    throw new ValueError(`${fn}: 'check.onDivergence' must be 'stop', 'restart' or 'continue', got ${String(policy)}`);
  }
  const maxRestarts = check.maxRestarts ?? 10;
  assertInteger(fn, 'check.maxRestarts', maxRestarts, 0);
  const watchNonFinite = check.nonFinite ?? true;
  const ck = opts.checkpoint;
  if (ck !== undefined) {
    if (typeof ck.dir !== 'string' || ck.dir === '')
      throw new ValueError(`${fn}: 'checkpoint.dir' must be a directory path`);
    assertInteger(fn, 'checkpoint.every', ck.every, 1);
  }

  // --- start: resume or init
  let state: S;
  let step = 0;
  let restarts = 0;
  let fileBytes = 0;
  let resumedFrom: number | undefined;
  let baseKey: Key = opts.key;
  if (ck !== undefined && (opts.resume ?? true) && (await hasCheckpoint(ck.dir))) {
    const c = await loadCheckpoint(ck.dir);
    const extra = c.manifest.extra as Extra | null;
    if (extra?.format !== 'walkjump-lifelong') {
      for (const t of Object.values(c.params as Record<string, tf.Tensor>)) t.dispose();
      throw new DataError(`${fn}: '${ck.dir}' holds a checkpoint that is not a lifelong chain's`);
    }
    state = c.params as unknown as S;
    step = c.step;
    restarts = extra.restarts;
    fileBytes = extra.fileBytes;
    baseKey = keyFromWords(c.key);
    resumedFrom = step;
    if (opts.init !== undefined && JSON.stringify(opts.init.shape) !== JSON.stringify(state.position.shape)) {
      tf.dispose(stateTensors(state));
      throw new ShapeError(
        `${fn}: the checkpoint's positions are [${state.position.shape.join(', ')}] but 'init' is [${opts.init.shape.join(', ')}]`,
      );
    }
  } else {
    if (!(opts.init instanceof tf.Tensor))
      throw new ShapeError(`${fn}: 'init' [C, ...] is required (no checkpoint to resume)`);
    state = kernel.init(opts.init);
  }
  const runKey = (r: number): Key => (r === 0 ? baseKey : foldIn(foldIn(baseKey, 0xffffffff), r));
  let key = runKey(restarts);

  // --- output file
  let fs: Fs | undefined;
  let fh: FileHandle | undefined;
  if (opts.file !== undefined) {
    fs = await import('node:fs/promises');
    const exists = await fs.stat(opts.file).then(
      () => true,
      () => false,
    );
    fh = await fs.open(opts.file, resumedFrom !== undefined && exists ? 'r+' : 'w');
    if (resumedFrom !== undefined) {
      const size = (await fh.stat()).size;
      if (size < fileBytes) {
        await fh.close();
        tf.dispose(stateTensors(state));
        throw new DataError(`${fn}: '${opts.file}' has ${size} bytes but the checkpoint expects at least ${fileBytes}`);
      }
      await fh.truncate(fileBytes);
    }
  }

  let good = cloneState(state);
  let goodStep = step;
  let goodBytes = fileBytes;
  let firstBad = tf.scalar(Number.POSITIVE_INFINITY);
  let badSteps = tf.scalar(0);
  let accSum: tf.Tensor | null = null;
  let sessionSteps = 0;
  const divergences: DivergenceEvent[] = [];
  let status: LifelongResult<S>['status'] = 'completed';
  const t0 = Date.now();

  const resetWatch = () => {
    tf.dispose([firstBad, badSteps]);
    firstBad = tf.scalar(Number.POSITIVE_INFINITY);
    badSteps = tf.scalar(0);
  };

  const emit = async () => {
    const x = jump === undefined ? undefined : jump(state.position);
    try {
      if (opts.onSample !== undefined) {
        const e: LifelongSample =
          x === undefined ? { step, position: state.position } : { step, position: state.position, jump: x };
        await opts.onSample(e);
      }
      if (fh !== undefined) {
        const y = (await state.position.data()) as Float32Array;
        const parts = [y, ...(x === undefined ? [] : [(await x.data()) as Float32Array])];
        for (const p of parts) {
          const buf = new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
          await fh.write(buf, 0, buf.byteLength, fileBytes);
          fileBytes += buf.byteLength;
        }
      }
    } finally {
      x?.dispose();
    }
  };

  /** Returns a divergence (or null) for the window since the last check. */
  const healthCheck = (): Omit<DivergenceEvent, 'action' | 'restoredTo'> | null => {
    const [fb, nb] = [firstBad.dataSync()[0]!, badSteps.dataSync()[0]!];
    if (watchNonFinite && nb > 0) return { step: fb, reason: 'nonFinite', value: nb };
    if (check.maxAbs !== undefined) {
      const m = tf.tidy(() => tf.max(tf.abs(state.position)));
      const v = m.dataSync()[0]!;
      m.dispose();
      if (!(v <= check.maxAbs)) return { step, reason: 'magnitude', value: v };
    }
    if (check.energy !== undefined && check.maxEnergy !== undefined) {
      const m = tf.tidy(() => tf.max(check.energy!(state.position)));
      const v = m.dataSync()[0]!;
      m.dispose();
      if (!(v <= check.maxEnergy)) return { step, reason: 'energy', value: v };
    }
    return null;
  };

  const saveCk = async () => {
    if (ck === undefined) return;
    await fh?.datasync();
    const params: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(state)) if (v instanceof tf.Tensor) params[k] = v;
    const extra: Extra = { format: 'walkjump-lifelong', restarts, fileBytes, fields: Object.keys(params) };
    await saveCheckpoint(ck.dir, { params, optState: { step: 0, slots: {} }, step, key: baseKey, extra });
  };

  try {
    while (step < opts.steps) {
      if (opts.signal?.aborted === true) {
        status = 'aborted';
        break;
      }
      const [next, info] = kernel.step(foldIn(key, step + 1), state);
      tf.dispose(stateTensors(state));
      state = next;
      step += 1;
      sessionSteps += 1;
      {
        const [fb, nb, s] = [firstBad, badSteps, step];
        const nf = info.nonFinite;
        [firstBad, badSteps] = tf.tidy(() => {
          const f = tf.max(nf);
          return [tf.minimum(fb, tf.add(tf.mul(tf.sub(1, f), 1e30), s)), tf.add(nb, f)];
        });
        tf.dispose([fb, nb]);
      }
      if (info.acceptance !== undefined) {
        const a: tf.Tensor | null = accSum;
        const acc = info.acceptance;
        accSum = tf.tidy((): tf.Tensor => (a === null ? tf.mean(acc) : tf.add(a, tf.mean(acc))));
        a?.dispose();
      }
      tf.dispose(Object.values(info).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
      if (every > 0 && step % every === 0) await emit();
      const atCheckpoint = ck !== undefined && step % ck.every === 0;
      if (step % checkEvery === 0 || atCheckpoint || step === opts.steps) {
        const bad = healthCheck();
        resetWatch();
        if (bad === null || policy === 'continue') {
          if (bad !== null) {
            const e: DivergenceEvent = { ...bad, action: 'continue', restoredTo: step };
            divergences.push(e);
            opts.onDivergence?.(e);
          }
          tf.dispose(stateTensors(good));
          good = cloneState(state);
          goodStep = step;
          goodBytes = fileBytes;
          if (atCheckpoint) await saveCk();
        } else {
          const action = policy === 'restart' && restarts < maxRestarts ? 'restart' : 'stop';
          const e: DivergenceEvent = { ...bad, action, restoredTo: goodStep };
          divergences.push(e);
          opts.onDivergence?.(e);
          tf.dispose(stateTensors(state));
          state = cloneState(good);
          step = goodStep;
          fileBytes = goodBytes;
          await fh?.truncate(fileBytes);
          if (action === 'stop') {
            status = 'diverged';
            break;
          }
          restarts += 1;
          key = runKey(restarts);
        }
      }
    }
    const acc = accSum === null ? undefined : (accSum as tf.Tensor).dataSync()[0]! / Math.max(sessionSteps, 1);
    const seconds = (Date.now() - t0) / 1000;
    return {
      state,
      step,
      status,
      divergences,
      restarts,
      resumedFrom,
      acceptance: acc,
      stepsPerSecond: seconds > 0 ? sessionSteps / seconds : Number.POSITIVE_INFINITY,
    };
  } catch (e) {
    tf.dispose(stateTensors(state));
    throw e;
  } finally {
    tf.dispose([...stateTensors(good), firstBad, badSteps]);
    accSum?.dispose();
    await fh?.close();
  }
}
