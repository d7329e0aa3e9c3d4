import type * as tf from '@tensorflow/tfjs-core';
import { DataError } from '../errors/errors.ts';
import { type ParsedSafetensors, parseSafetensors, serializeSafetensorsAsync } from './safetensors.ts';

// Node-only helpers. `node:*` modules are imported dynamically inside each function so that the
// browser can import @walkjump/tensor (these functions then throw when called there).

/**
 * Writes `data` to `path` atomically: into a temporary file in the same directory (opened with
 * O_EXCL), fsync'd, then renamed over `path`, and the directory fsync'd (best effort) — the POSIX
 * recipe behind `write-file-atomic`. A crash leaves either the old file or the new one, never a
 * partial one; a failed write removes its temporary file. Node only.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  const dir = nodePath.dirname(path);
  const tmp = nodePath.join(
    dir,
    `.${nodePath.basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  const fh = await fs.open(tmp, 'wx');
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  try {
    const dh = await fs.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename itself is still atomic.
  }
}

/** Writes `JSON.stringify(value, null, 2)` plus a newline to `path` with {@link writeFileAtomic}. Node only. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Saves named tensors as a safetensors file (see `serializeSafetensors`), written atomically with
 * {@link writeFileAtomic}. Reads values with `await data()`. Inputs are not disposed. Node only.
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, tf.Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, await serializeSafetensorsAsync(tensors, metadata));
}

/**
 * Reads a safetensors file (see `parseSafetensors`: validation, dtype mapping). A missing or
 * unreadable file throws {@link DataError} naming the path. The caller owns the tensors. Node only.
 */
export async function loadSafetensors(path: string): Promise<ParsedSafetensors> {
  const fs = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new DataError(`loadSafetensors: cannot read '${path}' (${(e as Error).message})`, { cause: e });
  }
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof DataError) throw new DataError(`${e.message} (file '${path}')`, { cause: e });
    throw e;
  }
}
