// 002 Table 1 / Table 3, row "von Mises mixture": 1 000 points from a balanced mixture of two von
// Mises laws (κ = 2) on unit circles centred at (∓2, 0) (App. B.1). EBIM (MDF + constrained EBM,
// sampled by constrained Langevin and by constrainedHmc) vs the pushforward EBM; grid W1 on
// 100 × 100 cells to 5 000 fresh ground-truth samples, and the paper code's own convention (paperGridW);
// mean ± s.e. over 3 runs.
import { vonMisesMixture2 } from '@walkjump/datasets';
import type * as tf from '@tensorflow/tfjs-core';
import { type Key, backendInfo, useBackend } from '@walkjump/tensor';
import { type ReproArgs, prepareOut, writeSummary } from './lib/common.ts';
import {
  type Budget,
  type DatasetSpec,
  type PaperEval,
  quickBudget,
  runTable1Row,
  TABLE1_BUDGET,
} from './manifold-common.ts';

export const meta = {
  id: 'manifold-vonmises',
  title: 'EBIM vs pushforward EBM on a von Mises mixture on two circles (grid W1, distances)',
  source: '002 Table 1, Table 3 (von Mises mixture)',
};

const FULL: Budget = { ...TABLE1_BUDGET, mdfSteps: 800, cebmSteps: 120, cebmLangevinSteps: 5 };

export async function run(args: ReproArgs): Promise<void> {
  await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
  console.log(`backend ${backendInfo().name}`);
  const out = prepareOut(args.out);
  const mix = vonMisesMixture2();
  const box: [number, number][] = [
    [-3.3, 3.3],
    [-1.3, 1.3],
  ];
  // The paper's evaluation (notebooks/03-von-mises-mixture.ipynb): box ebm_lims = [−3.3, 3.3]², 100 ticks per
  // axis, ground truth = dense points on both circles weighted by the true density (here 20 000, uniform in angle).
  const paperTruth = (() => {
    const per = 10000;
    const pts = new Float64Array(2 * per * 2);
    const w = new Float64Array(2 * per);
    const comps = [
      { cx: -2, loc: 0 },
      { cx: 2, loc: Math.PI },
    ];
    comps.forEach((c, j) => {
      for (let i = 0; i < per; i++) {
        const th = (2 * Math.PI * (i + 0.5)) / per;
        const q = j * per + i;
        pts[2 * q] = c.cx + Math.cos(th);
        pts[2 * q + 1] = Math.sin(th);
        w[q] = Math.exp(2 * Math.cos(th - c.loc));
      }
    });
    return { points: pts, n: 2 * per, weights: w, asPoints: false };
  })();
  const paperEval: PaperEval = {
    box: [
      [-3.3, 3.3],
      [-3.3, 3.3],
    ],
    granularity: 100,
    truth: paperTruth,
  };
  const makeSpec = (k: Key): DatasetSpec => ({
    paperEval,
    data: mix.sample(k, 1000) as tf.Tensor2D,
    truth: mix.sample([k[1], k[0]] as unknown as Key, 5000) as tf.Tensor2D,
    m: 1,
    box,
    bins: 100,
    mdf: { widths: [8, 8, 8], alpha: 0.3, beta: 1, eta: 1, batchSize: 100, lr: 0.01 },
    cebm: { widths: [32, 32, 32], regularization: 0.3, batchSize: 100, stepSize: 0.5 },
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
      w1: { pebm: '0.013 ± 0.001', ebim: '0.002 ± 0.001' },
      table3: {
        ebim: 'min 0.006e-5, median 0.73e-2, mean 0.98e-2, max 0.045',
        pebm: 'min 0.810e-5, median 0.47e-2, mean 0.51e-2, max 0.095',
      },
    },
    clmcStepSize: 0.3,
    hmcStepSize: 0.2,
    range: [-3.4, 3.4, -3.4, 3.4],
    writeSummary,
  });
}
