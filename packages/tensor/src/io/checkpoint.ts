import type * as tf from '@tensorflow/tfjs-core';
import { DataError } from '../errors/errors.ts';
import { type Key, isKey, keyFromWords } from '../random/keys.ts';
import type { OptState, OptStateStructure } from '../train/optimizers.ts';
import { type Params, type ParamsStructure, flattenParams, paramsStructure, unflattenParams } from '../train/params.ts';
import { loadSafetensors, saveSafetensors, writeJsonAtomic } from './files.ts';

/** What a checkpoint holds. */
export interface Checkpoint {
  readonly params: Params;
  readonly optState: OptState;
  /** Number of completed training steps (the next step to run). */
  readonly step: number;
  /** The run's base PRNG key (per-step keys are `foldIn(key, step)`). */
  readonly key: Key;
  /** Any JSON-serializable extra data (config, metrics, …). */
  readonly extra?: unknown;
}

/** The JSON manifest `checkpoint.json` of a checkpoint directory. */
export interface CheckpointManifest {
  readonly format: 'walkjump-checkpoint';
  readonly version: 1;
  readonly step: number;
  readonly key: readonly [number, number];
  readonly params: { readonly file: string; readonly structure: ParamsStructure };
  readonly optimizer: { readonly file: string; readonly structure: OptStateStructure };
  readonly extra: unknown;
  readonly createdAt: string;
}

/** Name of the manifest inside a checkpoint directory. */
export const CHECKPOINT_MANIFEST = 'checkpoint.json';

const pad = (step: number): string => String(step).padStart(9, '0');

/**
 * Writes a checkpoint to `dir` (created if needed): `params-<step>.safetensors` (flattened names,
 * e.g. `layers.0.w`, readable by PyTorch's `safetensors.torch.load_file`), `optimizer-<step>.safetensors`
 * (slot trees as `<slot>.<path>`) and the manifest `checkpoint.json` (step, key, tree structures,
 * extra). Every file is written atomically and the manifest last, so a crash at any point leaves
 * the previous checkpoint loadable; files of older steps are removed afterwards. Tensors are read
 * with `await data()` and not disposed. Returns the manifest's path. Node only.
 */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<string> {
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const paramsFile = `params-${pad(ckpt.step)}.safetensors`;
  const optFile = `optimizer-${pad(ckpt.step)}.safetensors`;
  const meta = { format: 'walkjump', step: String(ckpt.step) };
  await saveSafetensors(nodePath.join(dir, paramsFile), flattenParams(ckpt.params), meta);
  const optFlat: Record<string, tf.Tensor> = {};
  const slots: Record<string, ParamsStructure> = {};
  for (const [slot, tree] of Object.entries(ckpt.optState.slots)) {
    slots[slot] = paramsStructure(tree);
    for (const [path, t] of Object.entries(flattenParams(tree))) optFlat[path === '' ? slot : `${slot}.${path}`] = t;
  }
  await saveSafetensors(nodePath.join(dir, optFile), optFlat, meta);
  const manifest: CheckpointManifest = {
    format: 'walkjump-checkpoint',
    version: 1,
    step: ckpt.step,
    key: [ckpt.key[0], ckpt.key[1]],
    params: { file: paramsFile, structure: paramsStructure(ckpt.params) },
    optimizer: { file: optFile, structure: { step: ckpt.optState.step, slots } },
    extra: ckpt.extra ?? null,
    createdAt: new Date().toISOString(),
  };
  const manifestPath = nodePath.join(dir, CHECKPOINT_MANIFEST);
  await writeJsonAtomic(manifestPath, manifest);
  for (const f of await fs.readdir(dir)) {
    if (/^(params|optimizer)-\d{9}\.safetensors$/.test(f) && f !== paramsFile && f !== optFile) {
      await fs.rm(nodePath.join(dir, f), { force: true });
    }
  }
  return manifestPath;
}

/** True when `dir` holds a checkpoint manifest. Node only. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  try {
    await fs.access(nodePath.join(dir, CHECKPOINT_MANIFEST));
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the checkpoint of `dir` written by {@link saveCheckpoint}: parameters and optimizer state
 * rebuilt with their tree structures, step, key and extra. A missing or malformed manifest or file
 * throws {@link DataError} naming the path and the problem. The caller owns every returned tensor.
 * Node only.
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint & { readonly manifest: CheckpointManifest }> {
  const fn = 'loadCheckpoint';
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  const manifestPath = nodePath.join(dir, CHECKPOINT_MANIFEST);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as CheckpointManifest;
  } catch (e) {
    throw new DataError(`${fn}: cannot read manifest '${manifestPath}' (${(e as Error).message})`, { cause: e });
  }
  if (
    manifest?.format !== 'walkjump-checkpoint' ||
    manifest.version !== 1 ||
    !Number.isSafeInteger(manifest.step) ||
    manifest.step < 0 ||
    !isKey(manifest.key) ||
    typeof manifest.params?.file !== 'string' ||
    typeof manifest.optimizer?.file !== 'string'
  ) {
    throw new DataError(`${fn}: '${manifestPath}' is not a walkjump checkpoint manifest (version 1)`);
  }
  const p = await loadSafetensors(nodePath.join(dir, manifest.params.file));
  let params: Params;
  try {
    params = unflattenParams(manifest.params.structure, p.tensors);
  } catch (e) {
    Object.values(p.tensors).forEach((t) => {
      t.dispose();
    });
    throw new DataError(
      `${fn}: parameters in '${manifest.params.file}' do not match the manifest (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  const o = await loadSafetensors(nodePath.join(dir, manifest.optimizer.file));
  const slots: Record<string, Params> = {};
  try {
    for (const [slot, structure] of Object.entries(manifest.optimizer.structure.slots)) {
      const flat: Record<string, tf.Tensor> = {};
      for (const [name, t] of Object.entries(o.tensors)) {
        if (name === slot) flat[''] = t;
        else if (name.startsWith(`${slot}.`)) flat[name.slice(slot.length + 1)] = t;
      }
      slots[slot] = unflattenParams(structure, flat);
    }
  } catch (e) {
    Object.values(o.tensors).forEach((t) => {
      t.dispose();
    });
    Object.values(p.tensors).forEach((t) => {
      t.dispose();
    });
    throw new DataError(
      `${fn}: optimizer state in '${manifest.optimizer.file}' does not match the manifest (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  return {
    params,
    optState: { step: manifest.optimizer.structure.step, slots },
    step: manifest.step,
    key: keyFromWords(manifest.key),
    extra: manifest.extra,
    manifest,
  };
}
