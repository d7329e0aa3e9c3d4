import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError, ShapeError, ValueError } from '../errors/errors.ts';
import { assertInteger, assertPositive } from '../errors/validate.ts';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from '../io/checkpoint.ts';
import { type Key, foldIn, isKey, split } from '../random/keys.ts';
import { type OptState, type Optimizer, clipByGlobalNorm, disposeOptState, globalNorm } from './optimizers.ts';
import { type Params, disposeParams, flattenParams, paramLeaves, paramsStructure, unflattenParams } from './params.ts';

/** Progress event of {@link fit}, emitted after every `logEvery`-th step. */
export interface FitStepEvent {
  /** 0-based index of the step just completed. */
  readonly step: number;
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Steps per second since the previous event. */
  readonly stepsPerSecond: number;
  /** Wall time since this call of `fit` started. */
  readonly elapsedMs: number;
}

/** Options of {@link fit}. */
export interface FitOptions<B> {
  /** Initial parameters (not disposed; ignored when resuming from a checkpoint). */
  readonly params: Params;
  /** Scalar loss `(params, batch, key)`; the key is fresh for every step. */
  readonly loss: (params: Params, batch: B, key: Key) => tf.Tensor;
  /**
   * Batch of a step: `(step, key)`. Tensors in the batch that were created during this call are
   * disposed by `fit` after the step; tensors that existed before (e.g. a whole dataset returned as
   * is) are left alone.
   */
  readonly batches: (step: number, key: Key) => B | Promise<B>;
  readonly optimizer: Optimizer;
  /** Total number of steps of the run (a resumed run continues up to this number). */
  readonly steps: number;
  /** Base key of the run; step s uses `foldIn(key, s)` (split into a batch key and a loss key). */
  readonly key: Key;
  /** Clip gradients to this global norm. */
  readonly clipNorm?: number;
  /** Called every `logEvery` steps; returning `'stop'` ends the run after a checkpoint. */
  readonly onStep?: (e: FitStepEvent) => void | 'stop' | Promise<void | 'stop'>;
  /** Emit `onStep` and record history every this many steps (default 1). */
  readonly logEvery?: number;
  /** Write a checkpoint to `dir` every `every` steps and at the end (or on stop/abort). */
  readonly checkpoint?: { readonly dir: string; readonly every: number; readonly extra?: unknown };
  /** Continue from `checkpoint.dir` when it holds a checkpoint (params, optimizer state, step, key). */
  readonly resume?: boolean;
  /** Abort: the current step finishes, a checkpoint is written, and `fit` returns. */
  readonly signal?: AbortSignal;
}

/** Result of {@link fit}. The caller owns `params` and `optState` (see `disposeParams`, `disposeOptState`). */
export interface FitResult {
  readonly params: Params;
  readonly optState: OptState;
  /** Number of completed steps. */
  readonly step: number;
  readonly key: Key;
  readonly history: { step: number; loss: number }[];
  readonly stopped: 'completed' | 'callback' | 'aborted';
  /** Path of the last checkpoint manifest written, if any. */
  readonly checkpointPath?: string;
}

/**
 * Thrown by {@link fit} when a step's loss or gradient is NaN/±Inf. The step is not applied;
 * `lastGood` holds the parameters and optimizer state before it (the caller owns them and must
 * dispose them), and `checkpointPath` the last checkpoint written (left intact).
 */
export class FitNonFiniteError extends NonFiniteError {
  readonly step: number;
  readonly lastGood: { readonly params: Params; readonly optState: OptState; readonly step: number; readonly key: Key };
  readonly checkpointPath: string | undefined;
  constructor(
    message: string,
    step: number,
    lastGood: FitNonFiniteError['lastGood'],
    checkpointPath: string | undefined,
  ) {
    super(message);
    this.name = 'FitNonFiniteError';
    this.step = step;
    this.lastGood = lastGood;
    this.checkpointPath = checkpointPath;
  }
}

const batchTensors = (b: unknown, out: tf.Tensor[], seen = new Set<unknown>()): tf.Tensor[] => {
  if (b instanceof tf.Tensor) out.push(b);
  else if (
    typeof b === 'object' &&
    b !== null &&
    !seen.has(b) &&
    (Array.isArray(b) || Object.getPrototypeOf(b) === Object.prototype)
  ) {
    seen.add(b);
    for (const v of Object.values(b)) batchTensors(v, out, seen);
  }
  return out;
};

/**
 * Trains `params` by first-order optimization: for s = start … steps−1, k = foldIn(key, s) split
 * into (batch key, loss key), batch = batches(s, ·), (loss, g) = value and gradient of
 * loss(params, batch, ·) in every leaf (zero for a leaf the loss does not use), g clipped to `clipNorm` by global norm, then params ←
 * params + optimizer.update(g). Keys depend only on (key, s), so a resumed run repeats an
 * uninterrupted one bit for bit.
 *
 * Reads back two numbers per step (loss and gradient norm) to detect NaN/Inf: such a step is not
 * applied and {@link FitNonFiniteError} is thrown, naming the step and carrying the last good state
 * and checkpoint. Each step's tensors are disposed, so memory stays flat over any number of steps.
 * Checkpoints (see `saveCheckpoint`) are written every `checkpoint.every` steps, at the end, on
 * `'stop'` from `onStep` and on abort. Inputs are not disposed; the caller owns the returned
 * `params` and `optState`.
 */
export async function fit<B>(opts: FitOptions<B>): Promise<FitResult> {
  const fn = 'fit';
  assertInteger(fn, 'steps', opts.steps, 0);
  if (!isKey(opts.key))
    throw new ValueError(`${fn}: 'key' must be a Key made by key(seed), got ${JSON.stringify(opts.key)}`);
  if (opts.clipNorm !== undefined) assertPositive(fn, 'clipNorm', opts.clipNorm);
  const logEvery = opts.logEvery ?? 1;
  assertInteger(fn, 'logEvery', logEvery, 1);
  if (opts.checkpoint !== undefined) {
    if (typeof opts.checkpoint.dir !== 'string' || opts.checkpoint.dir === '') {
      throw new ValueError(
        `${fn}: 'checkpoint.dir' must be a non-empty path, got ${JSON.stringify(opts.checkpoint.dir)}`,
      );
    }
    assertInteger(fn, 'checkpoint.every', opts.checkpoint.every, 1);
  }
  if (opts.resume && opts.checkpoint === undefined) {
    throw new ValueError(`${fn}: 'resume' needs 'checkpoint.dir' to resume from`);
  }

  let params: Params;
  let optState: OptState;
  let step = 0;
  let baseKey = opts.key;
  if (opts.resume && opts.checkpoint !== undefined && (await hasCheckpoint(opts.checkpoint.dir))) {
    const ck = await loadCheckpoint(opts.checkpoint.dir);
    const want = JSON.stringify(paramsStructure(opts.params));
    if (JSON.stringify(paramsStructure(ck.params)) !== want) {
      disposeParams(ck.params);
      disposeOptState(ck.optState);
      throw new ShapeError(
        `${fn}: the checkpoint in '${opts.checkpoint.dir}' has a different parameter structure than 'params'`,
      );
    }
    params = ck.params;
    optState = ck.optState;
    step = ck.step;
    baseKey = ck.key;
  } else {
    params = unflattenParams(paramsStructure(opts.params), cloneFlat(opts.params));
    optState = opts.optimizer.init(params);
  }

  const structure = paramsStructure(params);
  const history: { step: number; loss: number }[] = [];
  const t0 = Date.now();
  let tLast = t0;
  let sLast = step;
  let checkpointPath: string | undefined;
  let stopped: FitResult['stopped'] = 'completed';
  const writeCheckpoint = async (): Promise<void> => {
    if (opts.checkpoint === undefined) return;
    checkpointPath = await saveCheckpoint(opts.checkpoint.dir, {
      params,
      optState,
      step,
      key: baseKey,
      extra: opts.checkpoint.extra,
    });
  };

  try {
    while (step < opts.steps) {
      const [batchKey, lossKey] = split(foldIn(baseKey, step), 2) as [Key, Key];
      const mark = tf.scalar(0);
      const markId = mark.id;
      mark.dispose();
      const batch = await opts.batches(step, batchKey);
      const owned = batchTensors(batch, []).filter((t) => t.id > markId && !t.isDisposed);
      let next: { params: Params; optState: OptState; stats: tf.Tensor };
      try {
        next = stepOnce(opts, structure, params, optState, batch, lossKey);
      } finally {
        tf.dispose(owned);
      }
      const [loss, gradNorm] = Array.from(await next.stats.data()) as [number, number];
      next.stats.dispose();
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        disposeParams(next.params);
        disposeOptState(next.optState);
        const where = checkpointPath === undefined ? '' : `; last good checkpoint: '${checkpointPath}'`;
        throw new FitNonFiniteError(
          `${fn}: non-finite ${Number.isFinite(loss) ? 'gradient' : 'loss'} at step ${step} (loss = ${loss}, gradient norm = ${gradNorm})${where}`,
          step,
          { params, optState, step, key: baseKey },
          checkpointPath,
        );
      }
      disposeParams(params);
      disposeOptState(optState);
      params = next.params;
      optState = next.optState;
      const done = step;
      step++;
      let stop = false;
      if (done % logEvery === 0 || step === opts.steps) {
        history.push({ step: done, loss });
        if (opts.onStep !== undefined) {
          const now = Date.now();
          const sps = now > tLast ? ((step - sLast) * 1000) / (now - tLast) : Number.POSITIVE_INFINITY;
          tLast = now;
          sLast = step;
          stop =
            (await opts.onStep({ step: done, loss, gradNorm, stepsPerSecond: sps, elapsedMs: now - t0 })) === 'stop';
        }
      }
      const aborted = opts.signal?.aborted === true;
      if (stop || aborted) {
        stopped = aborted ? 'aborted' : 'callback';
        await writeCheckpoint();
        break;
      }
      if (opts.checkpoint !== undefined && (step % opts.checkpoint.every === 0 || step === opts.steps)) {
        await writeCheckpoint();
      }
    }
  } catch (e) {
    if (!(e instanceof FitNonFiniteError)) {
      disposeParams(params);
      disposeOptState(optState);
    }
    throw e;
  }
  return {
    params,
    optState,
    step,
    key: baseKey,
    history,
    stopped,
    ...(checkpointPath === undefined ? {} : { checkpointPath }),
  };
}

function cloneFlat(p: Params): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(flattenParams(p))) out[name] = tf.clone(t);
  return out;
}

function stepOnce<B>(
  opts: FitOptions<B>,
  structure: ReturnType<typeof paramsStructure>,
  params: Params,
  optState: OptState,
  batch: B,
  lossKey: Key,
): { params: Params; optState: OptState; stats: tf.Tensor } {
  const leaves = paramLeaves(params);
  const names = Object.keys(flattenParams(params));
  let newState: OptState | undefined;
  const result = tf.tidy(() => {
    // engine().gradients with allowNoGradients: a parameter the loss does not use (a bias before a
    // layer that is only differentiated through, a conditioning branch switched off) gets a zero
    // gradient instead of tfjs's "Cannot compute gradient" error.
    const { value, grads } = tf.engine().gradients(
      () => {
        const l = opts.loss(params, batch, lossKey);
        if (l.rank !== 0) throw new ShapeError(`fit: 'loss' must return a scalar, got shape [${l.shape.join(', ')}]`);
        return l as tf.Scalar;
      },
      leaves,
      undefined,
      true,
    );
    const gflat: Record<string, tf.Tensor> = {};
    leaves.forEach((p, i) => {
      gflat[names[i]!] = grads[i] ?? tf.zerosLike(p);
    });
    let gtree = unflattenParams(structure, gflat);
    let norm: tf.Scalar;
    if (opts.clipNorm !== undefined) {
      const c = clipByGlobalNorm(gtree, opts.clipNorm);
      gtree = c.grads;
      norm = c.norm;
    } else {
      norm = globalNorm(gtree);
    }
    const { updates, state } = opts.optimizer.update(gtree, optState, params);
    newState = state;
    const updateLeaves = paramLeaves(updates);
    const newLeaves = leaves.map((p, i) => tf.add(p, updateLeaves[i]!));
    const stateLeaves = Object.values(state.slots).flatMap((s) => paramLeaves(s));
    return { newLeaves, stateLeaves, stats: tf.stack([tf.reshape(value, []), norm]) };
  });
  const nflat: Record<string, tf.Tensor> = {};
  result.newLeaves.forEach((t, i) => {
    nflat[names[i]!] = t;
  });
  return { params: unflattenParams(structure, nflat), optState: newState as OptState, stats: result.stats };
}
