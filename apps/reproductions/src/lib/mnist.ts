// MNIST for reproduction scripts: the shared data folder (offline) or the datasets package's download.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ImageDataset, mnist } from '@walkjump/datasets';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The data root: WALKJUMP_DATA, else the monorepo's sibling `shared/data` when present. */
export function dataDir(): string | undefined {
  const env = process.env['WALKJUMP_DATA'];
  if (env !== undefined && env !== '') return env;
  const shared = resolve(repoRoot, '../shared/data');
  return existsSync(join(shared, 'mnist')) ? shared : undefined;
}

/** MNIST (pixels in [0, 1]) from the shared data folder, downloading only when there is none. */
export async function loadMnist(split: 'train' | 'test'): Promise<ImageDataset> {
  const dir = dataDir();
  return mnist({ ...(dir === undefined ? {} : { dir }), split, download: dir === undefined });
}

/**
 * A `fit` batch source: step `step` takes rows `offset + perm[(step·batch + i) mod perm.length]` of the
 * flat [n, d] `images` into one reused buffer.
 */
export function permutedBatches(
  images: Float32Array,
  d: number,
  perm: ArrayLike<number>,
  batch: number,
  offset = 0,
): (step: number) => Float32Array {
  const xs = new Float32Array(batch * d);
  return (step) => {
    for (let i = 0; i < batch; i++) {
      const j = offset + (perm[(step * batch + i) % perm.length] as number);
      xs.set(images.subarray(j * d, (j + 1) * d), i * d);
    }
    return xs;
  };
}
