import type * as tf from '@tensorflow/tfjs-core';
import {
  DataError,
  flattenParams,
  loadSafetensors,
  type ParamsStructure,
  parseSafetensors,
  saveSafetensors,
  serializeSafetensors,
  unflattenParams,
} from '@walkjump/tensor';
import type { Params } from '../core/network.ts';

/**
 * Serializes a parameter tree to safetensors bytes: leaves named by their tree path (`layers.0.w`,
 * as `flattenParams` names them), float32 little-endian, loadable by PyTorch's `safetensors`.
 * Reads values with `dataSync`; does not dispose `params`.
 */
export function paramsToBytes(params: Params, metadata?: Record<string, string>): Uint8Array {
  return serializeSafetensors(flattenParams(params), metadata);
}

/**
 * Rebuilds a parameter tree from safetensors bytes. `like` is a template tree of the same network
 * (e.g. `net.init(key(0), shape)`, used only for names and shapes) or its `paramsStructure`; every
 * name and (with a template) every shape must match, else `ShapeError`. The values round-trip bit for
 * bit, so a saved and loaded network gives bit-identical outputs. The caller owns the result.
 */
export function paramsFromBytes<P extends Params>(bytes: Uint8Array, like: P | ParamsStructure): P {
  const { tensors } = parseSafetensors(bytes);
  try {
    return unflattenParams(like as Params, tensors) as P;
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
}

/** {@link paramsToBytes} written atomically to `path` (Node only). */
export async function saveParams(path: string, params: Params, metadata?: Record<string, string>): Promise<void> {
  await saveSafetensors(path, flattenParams(params), metadata);
}

/** {@link paramsFromBytes} from a file (Node only); a missing file throws `DataError` naming it. */
export async function loadParams<P extends Params>(path: string, like: P | ParamsStructure): Promise<P> {
  const { tensors } = await loadSafetensors(path);
  try {
    return unflattenParams(like as Params, tensors) as P;
  } catch (e) {
    for (const t of Object.values(tensors) as tf.Tensor[]) t.dispose();
    if (e instanceof Error && !(e instanceof DataError)) e.message = `${e.message} (file '${path}')`;
    throw e;
  }
}
