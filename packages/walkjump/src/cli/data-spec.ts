import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  binarizedMnist,
  checkerboard,
  dataRoot,
  earthEvents,
  grid25,
  mnist,
  pinwheel,
  proteinAngles,
  ring8,
  swissRoll,
  torusEmbed3,
  twoMoons,
} from '@walkjump/datasets';
import { DataError, key, ValueError } from '@walkjump/tensor';
import type { HostArray } from '../api/data.ts';
import { toHostArray } from '../api/data.ts';
import type { DataSampler } from '../api/fit-energy.ts';
import type { ManifoldSpec } from '../api/model.ts';
import { decodeNpy, parseCsv } from '../internal/npy.ts';

const MIXTURES: Record<string, () => DataSampler> = {
  ring8: () => ring8(),
  grid25: () => grid25(),
  'two-moons': () => twoMoons(),
  pinwheel: () => pinwheel(),
  'swiss-roll': () => swissRoll(),
  checkerboard: () => checkerboard(),
};
const EARTH = ['volcano', 'earthquake', 'flood', 'fire'] as const;

/** Names `--data` accepts, for messages. */
export const DATA_SPECS = `mnist, binarized-mnist, earth:{${EARTH.join('|')}}, protein:<residue letter, e.g. G>, mixture:{${Object.keys(MIXTURES).join('|')}}, or a .csv/.npy file`;

/** Training data and how to evaluate against it. */
export interface LoadedData {
  /** The spec as given. */
  readonly spec: string;
  /** Training samples, or a sampler of fresh ones. */
  readonly train: HostArray | DataSampler;
  /** Held-out reference samples for `eval` (test split, fresh samples, or the file itself). */
  reference(n: number): Promise<HostArray>;
  /** Image size of image data. */
  readonly image?: { readonly height: number; readonly width: number };
  /** The manifold of manifold data (earth: sphere, protein: torus). */
  readonly manifold?: ManifoldSpec;
  /** {0,1} data. */
  readonly binary?: boolean;
}

/**
 * The data folder: `--data-dir`, else `WALKJUMP_DATA`, else a `shared/data` folder beside the
 * repository checkout this package runs from (as in the walkjump monorepo's CI), else the per-user
 * cache of `@walkjump/datasets` (`dataRoot()`).
 */
export async function resolveDataDir(flag: string | undefined): Promise<string> {
  if (flag !== undefined && flag !== '') return flag;
  const env = process.env.WALKJUMP_DATA;
  if (env !== undefined && env !== '') return env;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) {
      const shared = join(dir, '..', 'shared', 'data');
      if (existsSync(shared)) return shared;
      break;
    }
    dir = dirname(dir);
  }
  return dataRoot();
}

/** Checks the spec's syntax (no I/O); `ValueError` naming `--data` otherwise. */
export function checkDataSpec(spec: string): void {
  if (spec === 'mnist' || spec === 'binarized-mnist') return;
  const [kind, arg] = spec.includes(':')
    ? [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)]
    : [spec, ''];
  if (kind === 'earth' && (EARTH as readonly string[]).includes(arg)) return;
  if (kind === 'protein' && /^[A-Z]$/.test(arg)) return;
  if (kind === 'mixture' && arg in MIXTURES) return;
  const ext = extname(spec).toLowerCase();
  if (ext === '.csv' || ext === '.npy') {
    if (!existsSync(spec)) throw new DataError(`--data file ${JSON.stringify(spec)} does not exist`);
    if (!statSync(spec).isFile()) throw new DataError(`--data ${JSON.stringify(spec)} is not a file`);
    return;
  }
  throw new ValueError(`--data must be one of ${DATA_SPECS}, got ${JSON.stringify(spec)}`);
}

const flatImages = (a: { data: Float32Array; shape: readonly number[] }): HostArray => ({
  data: a.data,
  shape: [a.shape[0] as number, a.data.length / (a.shape[0] as number)],
});

const sampleHost = (s: DataSampler, n: number, seed: number): HostArray => {
  const t = tf.tidy(() => s.sample(key(seed), n));
  try {
    return toHostArray(t, 'data');
  } finally {
    t.dispose();
  }
};

/** Rows [from, to) of a host matrix. */
const rowsOf = (a: HostArray, from: number, to: number): HostArray => {
  const d = a.data.length / (a.shape[0] as number);
  return { data: a.data.subarray(from * d, to * d), shape: [to - from, ...a.shape.slice(1)] };
};

/** Loads the data named by `spec` (checked by {@link checkDataSpec}); `DataError` when files are missing or hold NaN. */
export async function loadDataSpec(spec: string, dir: string): Promise<LoadedData> {
  checkDataSpec(spec);
  if (spec === 'mnist') {
    const train = await mnist({ dir, split: 'train' });
    return {
      spec,
      train: flatImages(train.images),
      image: { height: 28, width: 28 },
      reference: async (n) => {
        const t = flatImages((await mnist({ dir, split: 'test' })).images);
        return rowsOf(t, 0, Math.min(n, t.shape[0] as number));
      },
    };
  }
  if (spec === 'binarized-mnist') {
    const train = await binarizedMnist({ dir, split: 'train' });
    return {
      spec,
      train: flatImages(train.images),
      image: { height: 28, width: 28 },
      binary: true,
      reference: async (n) => {
        const t = flatImages((await binarizedMnist({ dir, split: 'test' })).images);
        return rowsOf(t, 0, Math.min(n, t.shape[0] as number));
      },
    };
  }
  const [kind, arg] = [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)];
  if (kind === 'earth') {
    const pts = toHostArray((await earthEvents(arg as (typeof EARTH)[number], { dir })).points, spec);
    return {
      spec,
      train: pts,
      manifold: { name: 'sphere', dim: 3 },
      reference: async (n) => rowsOf(pts, 0, Math.min(n, pts.shape[0] as number)),
    };
  }
  if (kind === 'protein') {
    const { angles } = await proteinAngles({ dir, source: 'nine-mers', residue: arg });
    const emb = tf.tidy(() => torusEmbed3(tf.tensor2d(angles.data, angles.shape as [number, number])));
    const pts = toHostArray(emb, spec);
    emb.dispose();
    return {
      spec,
      train: pts,
      manifold: { name: 'torus', R: 2, r: 1 },
      reference: async (n) => rowsOf(pts, 0, Math.min(n, pts.shape[0] as number)),
    };
  }
  if (kind === 'mixture') {
    const s = (MIXTURES[arg] as () => DataSampler)();
    return { spec, train: s, reference: async (n) => sampleHost(s, n, 12345) };
  }
  const bytes = readFileSync(spec);
  const name = basename(spec);
  const parsed =
    extname(spec).toLowerCase() === '.npy' ? decodeNpy(bytes, name) : parseCsv(bytes.toString('utf8'), name);
  if (parsed.shape.length < 2) parsed.shape.push(1);
  const host = toHostArray(parsed, `--data ${name}`, 2);
  return {
    spec: resolve(spec),
    train: host,
    reference: async (n) => rowsOf(host, 0, Math.min(n, host.shape[0] as number)),
  };
}
