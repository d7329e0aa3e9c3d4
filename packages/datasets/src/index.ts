// @walkjump/datasets — real datasets (Node loaders), synthetic distributions with exact
// densities (browser-safe), and seeded batching.

// --- data files: location, download, checksums (Node only)
export { dataRoot, readDataFile, downloadDataFile } from './io/files.ts';
export type { DataFile, DataLocation } from './io/files.ts';
export { parseIdx, decodeIdx, isGzip } from './io/idx.ts';
export type { IdxArray, IdxDtype } from './io/idx.ts';

// --- real datasets
export { toTensor, binarize } from './real/arrays.ts';
export type { ArrayData } from './real/arrays.ts';
export { mnist, fashionMnist, binarizedMnist, DATA_FILES } from './real/mnist.ts';
export type { ImageDataset, MnistOptions, BinarizedMnistOptions } from './real/mnist.ts';
export { earthEvents, latLonToUnit, proteinAngles, torusEmbed3, torusEmbed4 } from './real/manifold-data.ts';
export type { EarthEvent, EarthEvents, ProteinSource, ProteinOptions } from './real/manifold-data.ts';

// --- synthetic distributions
export type { Distribution } from './synthetic/types.ts';
export { gaussianMixture, ring8, grid25, twoGaussians } from './synthetic/gaussian-mixture.ts';
export type { GaussianMixture, GaussianMixtureOptions } from './synthetic/gaussian-mixture.ts';
export {
  vonMises,
  circleVonMisesMixture,
  vonMisesMixture2,
  vonMisesFisher,
  vmfMeanResultantLength,
  projectedNormalMixture,
  projectedNormalPair,
  sineBivariateVonMises,
} from './synthetic/directional.ts';
export type {
  VonMises,
  CircleComponent,
  CircleVonMisesMixture,
  VonMisesFisher,
  ProjectedNormalMixture,
  SineBivariateVonMises,
} from './synthetic/directional.ts';
export { twoMoons, swissRoll, pinwheel, checkerboard } from './synthetic/toys.ts';
export type { Checkerboard } from './synthetic/toys.ts';
export { productBernoulli, ising, isingGrid } from './synthetic/binary.ts';
export type { ProductBernoulli, Ising, IsingExact } from './synthetic/binary.ts';

// --- batching
export { splitIndices, takeRows, batches, tensorBatches, flatten, toNHWC, scale } from './batching/batching.ts';
export type { SplitIndices, BatchOptions, Batch } from './batching/batching.ts';
