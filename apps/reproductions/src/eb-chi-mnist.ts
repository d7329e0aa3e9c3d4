// 000 Table 1: statistics of the χ matrix χ_ii′ = ‖X_i − X_i′‖/(2√d) over all pairs of the first
// 10 000 MNIST training images (pixels in [0, 1]), with @walkjump/empirical-bayes `chiStatistics`.
//
//   pnpm --filter @walkjump/reproductions repro eb-chi-mnist [--quick] [--n 10000]
import * as tf from '@tensorflow/tfjs-core';
import { chiStatistics } from '@walkjump/empirical-bayes';
import { backendInfo, useBackend } from '@walkjump/tensor';
import { numOpt, prepareOut, type ReproArgs, round, secondsSince, writeSummary } from './lib/common.ts';
import { loadMnist } from './lib/mnist.ts';

export const meta = {
  id: 'eb-chi-mnist',
  title: 'χ statistics and σc of MNIST (empirical-bayes chiStatistics)',
  source: '000 Table 1 (eq. 4)',
};

const PAPER = { min: 0.0186, median: 0.1822, mean: 0.1812, max: 0.2884 };

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  prepareOut(out);
  const n = numOpt(argv, 'n', quick ? 1000 : 10000);
  const train = await loadMnist('train');
  const x = tf.tensor2d(train.images.data.subarray(0, n * 784), [n, 784]);
  const t0 = performance.now();
  const s = await chiStatistics(x);
  const seconds = secondsSince(t0);
  x.dispose();
  const rel = (k: keyof typeof PAPER): number => round((s[k] - PAPER[k]) / PAPER[k], 5);
  await writeSummary(out, {
    id: meta.id,
    source: meta.source,
    images: `first ${n} MNIST training images, pixels in [0, 1], d = 784`,
    pairs: s.pairs,
    ours: { min: round(s.min, 5), median: round(s.median, 5), mean: round(s.mean, 5), max: round(s.max, 5) },
    paper: PAPER,
    relativeDifference: { min: rel('min'), median: rel('median'), mean: rel('mean'), max: rel('max') },
    sigmaC: round(s.sigmaC, 5),
    argmin: s.argmin,
    argmax: s.argmax,
    seconds,
    backend: backendInfo().name,
    quick,
  });
}
