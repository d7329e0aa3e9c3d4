// Shared plumbing for the empirical-bayes reproductions (eb-*.ts): MNIST location, CLI options.
// Not a reproduction itself (exports no `meta`), so the runner skips it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { type ImageDataset, mnist } from '@walkjump/datasets';
import { type MlpParams, mlp } from '@walkjump/nets';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');

/** The data root: WALKJUMP_DATA, else the monorepo's sibling `shared/data` when present. */
export function dataDir(): string | undefined {
  const env = process.env['WALKJUMP_DATA'];
  if (env !== undefined && env !== '') return env;
  const shared = resolve(repoRoot, '../shared/data');
  return existsSync(join(shared, 'mnist')) ? shared : undefined;
}

/** MNIST (pixels in [0, 1]) from the shared data folder, without downloading. */
export async function loadMnist(split: 'train' | 'test'): Promise<ImageDataset> {
  const dir = dataDir();
  return mnist({ ...(dir === undefined ? {} : { dir }), split, download: dir === undefined });
}

/** `--name value` from argv as a number, else `fallback`. */
export function numOpt(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
}

/** Rounds to `digits` significant decimals for summaries. */
export const round = (v: number, digits = 4): number => Number(v.toFixed(digits));

/**
 * A time-conditioned energy for dual score matching: U(y, t) = ‖y − m‖²/(2(t + v)) +
 * (d/2)log(2π(t + v)) + v/(t + v) · g_θ(y/√(t + v), log t) with g an MLP (swish). The Gaussian part is
 * exact for t ≫ v (the "nearly Gaussian at large t" regime the normalization relies on); the learned
 * correction is damped there by v/(t + v). `m` [d] and `v` are the data mean and per-coordinate variance.
 */
export function dsmEnergyModel(d: number, widths: readonly number[], m: readonly number[], v: number) {
  const net = mlp({ widths, activation: 'swish', zeroLastLayer: true });
  const energy = (params: MlpParams) => (y: tf.Tensor, t: tf.Tensor | number) =>
    tf.tidy(() => {
      const B = y.shape[0] as number;
      const tt = typeof t === 'number' ? tf.fill([B], t) : t;
      const tv = tf.reshape(tf.add(tt, v), [B, 1]);
      const yc = tf.sub(tf.reshape(y, [B, d]), tf.tensor1d(m as number[]));
      const gauss = tf.add(
        tf.div(tf.sum(tf.square(yc), 1), tf.mul(tf.reshape(tv, [B]), 2)),
        tf.mul(tf.log(tf.mul(tf.reshape(tv, [B]), 2 * Math.PI)), d / 2),
      );
      const feats = tf.concat([tf.div(yc, tf.sqrt(tv)), tf.div(tf.reshape(tf.log(tt), [B, 1]), 4)], 1);
      const corr = tf.mul(net.apply(params, feats), tf.div(v, tf.reshape(tv, [B])));
      return tf.add(gauss, corr);
    });
  return { net, energy, inputDim: d + 1 };
}
