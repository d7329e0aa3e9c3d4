// Benchmarks of @walkjump/empirical-bayes against PyTorch measured in the same run
// (tooling/reference/eb_bench.py, Debian's /usr/bin/python3; "reference unavailable" if missing):
//   deen  — deenLoss + gradient in θ (double backprop), MLP energy 784-512-512-1 swish, batch 128
//   kde   — gaussianKdeEnergy(...).denoiser: 256 queries against 60 000 × 784 centres
//   chi   — chiStatistics of 4 000 × 784 points (exact, all 8.0M pairs, median included)
// Usage: pnpm --filter @walkjump/empirical-bayes bench [--runs 5] [--no-reference] [--backend wasm]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { cliArgs, medianMs, runPythonReference } from '@walkjump/testing/bench';
import { key, normal, uniform, useBackend } from '@walkjump/tensor';
import { chiStatistics, deenLoss, gaussianKdeEnergy } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { argv, option } = cliArgs();
const runs = Number(option('runs', '5'));

const info = await useBackend(option('backend', process.env.WALKJUMP_BACKEND ?? 'auto'));
console.log(
  `backend ${info.name} (simd ${info.simd}, threads ${info.threads}); median of ${runs} runs (kde, chi: ${Math.max(1, runs >> 1)})`,
);

// --- DEEN loss + gradient
const dense = (i: number, o: number, s: number) => ({
  w: tf.variable(tf.mul(normal(key(s), [i, o]), Math.sqrt(1 / i))),
  b: tf.variable(tf.zeros([o])),
});
const L = [dense(784, 512, 1), dense(512, 512, 2), dense(512, 1, 3)];
const swish = (h: tf.Tensor) => tf.mul(h, tf.sigmoid(h));
const energy = (y: tf.Tensor) =>
  tf.reshape(
    tf.add(
      tf.matMul(swish(tf.add(tf.matMul(swish(tf.add(tf.matMul(y, L[0]!.w), L[0]!.b)), L[1]!.w), L[1]!.b)), L[2]!.w),
      L[2]!.b,
    ),
    [-1],
  );
const x = uniform(key(4), [128, 784]);
let seed = 10;
const deenMs = await medianMs(() => {
  const { value, grads } = tf.variableGrads(
    () => tf.mean(deenLoss(key(seed++), energy, x, { sigma: 0.3, checkFinite: false })) as tf.Scalar,
  );
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}, runs);

// --- KDE jump on 60 000 centres
const centres = uniform(key(5), [60000, 784]);
const q = uniform(key(6), [256, 784]);
const kde = gaussianKdeEnergy(centres, 0.3, { maxBlockElements: 60000 * 64 });
const kdeMs = await medianMs(
  async () => {
    const xh = kde.denoiser(q);
    await xh.data();
    xh.dispose();
  },
  Math.max(1, runs >> 1),
);
kde.dispose();
tf.dispose([centres, q]);

// --- χ statistics
const pts = uniform(key(7), [4000, 784]);
let chi = { min: 0, median: 0, mean: 0, max: 0 };
const chiMs = await medianMs(
  async () => {
    chi = await chiStatistics(pts);
  },
  Math.max(1, runs >> 1),
);
pts.dispose();

type Ref = { deen_ms: number; kde_ms: number; chi_ms: number; torch: string; threads: number };
function reference(): Ref | string {
  if (argv.includes('--no-reference')) return 'reference skipped: --no-reference';
  const script = join(here, '../../../tooling/reference/eb_bench.py');
  return runPythonReference<Ref>(script, ['--runs', runs, '--threads', option('ref-threads', '2')], {
    timeoutMs: 900_000,
  });
}
const ref = reference();
const row = (name: string, ms: number, refMs: number | undefined) =>
  console.log(
    `${name.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms${refMs === undefined ? '' : `   torch ${refMs.toFixed(1).padStart(8)} ms   ratio ${(ms / refMs).toFixed(2)}x`}`,
  );
if (typeof ref === 'string') console.log(ref);
else console.log(`reference: torch ${ref.torch}, ${ref.threads} threads`);
const r = typeof ref === 'string' ? undefined : ref;
row('deenLoss+grad, MLP 784-512-512-1, B=128', deenMs, r?.deen_ms);
row('KDE jump, 256 queries × 60000×784 centres', kdeMs, r?.kde_ms);
row('chiStatistics 4000×784 (8.0M pairs, exact)', chiMs, r?.chi_ms);
console.log(
  `chi of the uniform points: min ${chi.min.toFixed(4)} median ${chi.median.toFixed(4)} mean ${chi.mean.toFixed(4)} max ${chi.max.toFixed(4)}`,
);
tf.dispose(L.flatMap((l) => [l.w, l.b]));
tf.dispose(x);
