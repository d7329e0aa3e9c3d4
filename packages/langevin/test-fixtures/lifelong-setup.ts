import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { key, normal } from '@walkjump/tensor';
import { chengUnderdamped, type LifelongOptions } from '../src/index.ts';

/** A correlated 3-D Gaussian target for 16 chains, and a linear "jump". */
export function chainSetup() {
  const A = tf.tensor2d([
    [1.5, 0.4, 0],
    [0.4, 1, 0.3],
    [0, 0.3, 0.7],
  ]);
  const score = (y: tf.Tensor) => tf.tidy(() => tf.neg(tf.matMul(y as tf.Tensor2D, A as tf.Tensor2D)));
  const jump = (y: tf.Tensor) => tf.tidy(() => tf.mul(y, 0.5));
  const init = normal(key(3), [16, 3]);
  return { score, jump, init, dispose: () => A.dispose() };
}

/**
 * The kill-and-resume run of the lifelongChain test (run in-process by the test and, killed mid-run,
 * by lifelong-child.ts): a Cheng chain of `steps` steps writing `dir`/samples.f32 and `dir`/ckpt.
 */
export function resumeRunOptions(
  dir: string,
  steps: number,
  { score, init, jump }: ReturnType<typeof chainSetup>,
): LifelongOptions<ReturnType<ReturnType<typeof chengUnderdamped>['init']>> {
  return {
    kernel: chengUnderdamped({ score }, { stepSize: 0.2, friction: 1 }),
    key: key(11),
    init,
    steps,
    every: 7,
    jump,
    file: join(dir, 'samples.f32'),
    checkpoint: { dir: join(dir, 'ckpt'), every: 25 },
  };
}
