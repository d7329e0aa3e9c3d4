// 002 Table 1 / Table 3, row "amino acid modelling": backbone dihedral angles (φ, ψ) of the 1 000
// glycine residues of NumPyro's NINE_MERS set, embedded as a ring torus in R³ (R = 2, r = 1; via
// @walkjump/datasets). EBIM (MDF + constrained EBM, sampled by constrained Langevin and by
// constrainedHmc) vs the pushforward EBM; grid W1 on 30³ cells to the data; mean ± s.e. over 3 runs.
import * as tf from '@tensorflow/tfjs-core';
import { proteinAngles, torusEmbed3 } from '@walkjump/datasets';
import { type Key, backendInfo, permutation, useBackend } from '@walkjump/tensor';
import { type ReproArgs, prepareOut, writeSummary } from './lib/common.ts';
import { type DatasetSpec, quickBudget, runTable1Row, sharedData, TABLE1_BUDGET } from './manifold-common.ts';

export const meta = {
  id: 'manifold-glycine',
  title: 'EBIM vs pushforward EBM on glycine (φ, ψ) on the torus (grid W1, distances)',
  source: '002 Table 1, Table 3 (amino acid modelling)',
};

const FULL = TABLE1_BUDGET;

export async function run(args: ReproArgs): Promise<void> {
  await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
  console.log(`backend ${backendInfo().name}`);
  const out = prepareOut(args.out);
  const { angles } = await proteinAngles({ source: 'nine-mers', residue: 'G', ...sharedData() });
  const all = tf.tidy(() => torusEmbed3(tf.tensor2d(angles.data, angles.shape as [number, number])) as tf.Tensor2D);
  const box: [number, number][] = [
    [-3.3, 3.3],
    [-3.3, 3.3],
    [-1.2, 1.2],
  ];
  // The paper's evaluation (notebooks/05-protein.ipynb): 30 ticks per axis, the data points themselves against
  // cell centres, box [−4.1, 4.1]² × [−2.7, 2.7] for its torus R = 3, r = 1; ours has R = 2, so the same margins
  // give [−3.1, 3.1]² × [−2.7, 2.7].
  const paperTruth = { points: Float64Array.from(all.dataSync()), n: all.shape[0], asPoints: true };
  const makeSpec = (k: Key): DatasetSpec => ({
    paperEval: {
      box: [
        [-3.1, 3.1],
        [-3.1, 3.1],
        [-2.7, 2.7],
      ],
      granularity: 30,
      truth: paperTruth,
    },
    data: tf.tidy(() => tf.gather(all, tf.tensor1d(permutation(k, all.shape[0]), 'int32')) as tf.Tensor2D),
    truth: tf.clone(all),
    m: 2,
    box,
    bins: 30,
    mdf: { widths: [8, 8], alpha: 0, beta: 1, eta: 0.3, batchSize: 50, lr: 0.01 },
    // γ = 0.1 instead of the paper's 1: γ caps the energy contrast at about 1/γ nats (see manifold-flood.ts).
    cebm: { widths: [32, 32], regularization: 0.1, batchSize: 100, stepSize: 0.1 },
    pebm: { widths: [32, 32, 32], regularization: 0.1 },
  });
  await runTable1Row({
    out,
    outDir: args.out,
    id: meta.id,
    title: meta.title,
    makeSpec,
    budget: args.quick ? quickBudget(FULL) : FULL,
    runs: args.quick ? 1 : 3,
    paper: {
      w1: { pebm: '0.042 ± 0.013', ebim: '0.026 ± 0.001' },
      table3: {
        ebim: 'min 9.176e-5, median 2.80e-2, mean 2.86e-2, max 0.16',
        pebm: 'min 6.96e-5, median 0.92e-2, mean 1.72e-2, max 0.271',
      },
    },
    clmcStepSize: 0.1,
    hmcStepSize: 0.05,
    view: { yaw: 0.3, pitch: 0.9 },
    writeSummary,
  });
  all.dispose();
}
