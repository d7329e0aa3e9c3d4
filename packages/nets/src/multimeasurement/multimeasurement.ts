import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, type Key, ValueError } from '@walkjump/tensor';
import {
  checkBatch,
  checkInputShape,
  inputShapeError,
  type Network,
  type Params,
  showShape,
  sizeOf,
} from '../core/network.ts';

/** Options of {@link multimeasurement}. */
export interface MultimeasurementOptions {
  /** Number of measurements M ≥ 1. */
  readonly M: number;
  /**
   * Shape [H, W, C] of one measurement when inputs come flattened as [B, M, d] (d = H·W·C); not
   * needed for image inputs [B, M, H, W, C].
   */
  readonly imageShape?: readonly number[];
}

/**
 * Adapts an image network to multimeasurement inputs y = (y₁, …, y_M) ∈ R^{M×d} of σ⊗M models
 * (Saremi & Srivastava 2022, 001 Sec. 3: "the M measurements are passed through a convolutional
 * layer"): the M noisy copies are stacked as M·C channels of one image, [B, M, H, W, C] →
 * [B, H, W, M·C] (channel index m·C + c), and fed to `net`, whose first conv thus sees all of them.
 * When the inner output has M·C channels (e.g. a U-Net or U²-Net with the default `outChannels`)
 * it is unstacked back to [B, M, H, W, C]; any other output (an energy [B], a single denoised image
 * [B, H, W, C] with `outChannels: C`) is returned as is. Inputs may also be [B, M, d] with
 * `imageShape`; the output is then flattened back to [B, M, d] when it was unstacked.
 */
export function multimeasurement<P extends Params>(net: Network<P>, opts: MultimeasurementOptions): Network<P> {
  const fn = 'multimeasurement';
  if (net === null || typeof net !== 'object' || typeof net.apply !== 'function')
    throw new ValueError(`${fn}: 'net' must be a Network`);
  const M = opts?.M;
  assertInteger(fn, 'M', M, 1);
  const img = opts.imageShape;
  if (img !== undefined) {
    if (!Array.isArray(img) || img.length !== 3)
      throw new ValueError(`${fn}: 'imageShape' must be [H, W, C], got ${String(img)}`);
    img.forEach((v, i) => {
      assertInteger(fn, `imageShape[${i}]`, v, 1);
    });
  }
  const name = `multimeasurement[M=${M}](${net.name})`;
  let shape: number[] | undefined;

  /** Per-sample [M, H, W, C] (image) from an init/apply per-sample shape. */
  const imageOf = (s: readonly number[], where: string): [number, number, number] => {
    if (s.length === 4 && s[0] === M) return [s[1]!, s[2]!, s[3]!];
    if (s.length === 2 && s[0] === M && img !== undefined && s[1] === sizeOf(img))
      return img as [number, number, number];
    const want = img !== undefined ? `[${M}, ${sizeOf(img)}] or [${M}, ${img.join(', ')}]` : `[${M}, H, W, C]`;
    throw new ValueError(`${name}.${where}: per-sample shape must be ${want}, got ${showShape(s)}`);
  };

  const init = (k: Key, inputShape: readonly number[]): P => {
    const s = checkInputShape(name, inputShape);
    const [H, W, C] = imageOf(s, 'init');
    shape = [H, W, C];
    return net.init(k, [H, W, M * C]);
  };

  const apply = (params: P, y: tf.Tensor, cond?: tf.Tensor | number): tf.Tensor => {
    let dims: [number, number, number] | undefined;
    if (y instanceof tf.Tensor && y.rank >= 3 && y.shape[1] === M) {
      try {
        dims = imageOf(y.shape.slice(1), 'apply');
      } catch {
        dims = undefined;
      }
    }
    if (dims === undefined) {
      const want =
        img !== undefined
          ? `[B, ${M}, ${sizeOf(img)}] or [B, ${M}, ${img.join(', ')}]`
          : `[B, ${M}, ${shape !== undefined ? shape.join(', ') : 'H, W, C'}]`;
      throw inputShapeError(name, want, y, 'y');
    }
    const [H, W, C] = dims;
    checkBatch(name, y, y.shape.slice(1), 'y');
    const B = y.shape[0]!;
    const flat = y.rank === 3;
    return tf.tidy(() => {
      const stacked = tf.reshape(tf.transpose(tf.reshape(y, [B, M, H, W, C]), [0, 2, 3, 1, 4]), [B, H, W, M * C]);
      const out = net.apply(params, stacked, cond);
      if (out.rank === 4 && out.shape[1] === H && out.shape[2] === W && out.shape[3] === M * C) {
        const back = tf.transpose(tf.reshape(out, [B, H, W, M, C]), [0, 3, 1, 2, 4]);
        return flat ? tf.reshape(back, [B, M, H * W * C]) : back;
      }
      return out;
    });
  };

  return { name, init, apply };
}
