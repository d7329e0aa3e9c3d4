// 002 Table 1 / Table 3, row "geospatial": the 4 875 flood events of the Dartmouth Flood Observatory
// on the unit sphere (Mathieu & Nickel 2020; via @walkjump/datasets). EBIM (MDF + constrained EBM,
// sampled by constrained Langevin and by constrainedHmc) vs the pushforward EBM; grid W1 on 30³
// cells to the data; mean ± s.e. over 3 runs.
import * as tf from '@tensorflow/tfjs-core';
import { earthEvents } from '@walkjump/datasets';
import { type Key, backendInfo, permutation, useBackend } from '@walkjump/tensor';
import { type ReproArgs, prepareOut, writeSummary } from './lib/common.ts';
import { type DatasetSpec, quickBudget, runTable1Row, sharedData, TABLE1_BUDGET } from './manifold-common.ts';

export const meta = {
  id: 'manifold-flood',
  title: 'EBIM vs pushforward EBM on flood locations on the sphere (grid W1, distances)',
  source: '002 Table 1, Table 3 (geospatial data)',
};

const FULL = TABLE1_BUDGET;

export async function run(args: ReproArgs): Promise<void> {
  await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
  console.log(`backend ${backendInfo().name}`);
  const out = prepareOut(args.out);
  const flood = await earthEvents('flood', sharedData());
  const all = tf.tensor2d(flood.points.data, flood.points.shape as [number, number]);
  const box: [number, number][] = [
    [-1.2, 1.2],
    [-1.2, 1.2],
    [-1.2, 1.2],
  ];
  const makeSpec = (k: Key): DatasetSpec => {
    // Every run trains on all 4 875 events, shuffled by its key; W1 is to the data itself.
    const data = tf.tidy(() => tf.gather(all, tf.tensor1d(permutation(k, all.shape[0]), 'int32')) as tf.Tensor2D);
    return {
      // The paper's evaluation (notebooks/04-geospatial.ipynb): box [−1.3, 1.3]³, 30 ticks per axis, the data
      // points themselves (mass 1/N each) against cell centres.
      paperEval: {
        box: [
          [-1.3, 1.3],
          [-1.3, 1.3],
          [-1.3, 1.3],
        ],
        granularity: 30,
        truth: { points: Float64Array.from(flood.points.data), n: all.shape[0], asPoints: true },
      },
      data,
      truth: tf.clone(all),
      m: 2,
      box,
      bins: 30,
      mdf: { widths: [8, 8, 8], alpha: 0.3, beta: 10, eta: 1, batchSize: 50, lr: 0.01 },
      // Energy magnitude regularization γ caps the energy contrast at about 1/γ nats (optimum E = ∓1/2γ); the
      // paper's γ = 1 keeps the density near uniform at our step budget, so γ = 0.1.
      cebm: { widths: [32, 32, 32, 32], regularization: 0.1, batchSize: 50, stepSize: 0.1 },
      pebm: { widths: [32, 32, 32, 32], regularization: 0.1 },
    };
  };
  await runTable1Row({
    out,
    outDir: args.out,
    id: meta.id,
    title: meta.title,
    makeSpec,
    budget: args.quick ? quickBudget(FULL) : FULL,
    runs: args.quick ? 1 : 3,
    paper: {
      w1: { pebm: '0.056 ± 0.017', ebim: '0.014 ± 0.003' },
      table3: {
        ebim: 'min 0.132e-5, median 0.24e-2, mean 0.24e-2, max 0.009',
        pebm: 'min 20e-5, median 0.16e-2, mean 0.17e-2, max 0.016',
      },
    },
    clmcStepSize: 0.1,
    hmcStepSize: 0.05,
    view: { yaw: 0.3, pitch: 0.4 },
    writeSummary,
  });
  all.dispose();
}
