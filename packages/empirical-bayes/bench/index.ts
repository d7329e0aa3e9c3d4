// Benchmarks of @walkjump/empirical-bayes against PyTorch measured in the same run
// (tooling/reference/eb_bench.py, Debian's /usr/bin/python3; "reference unavailable" if missing):
//   deen  — deenLoss + gradient in θ (double backprop), MLP energy 784-512-512-1 swish, batch 128
//   kde   — gaussianKdeEnergy(...).denoiser: 256 queries against 60 000 × 784 centres
//   chi   — chiStatistics of 4 000 × 784 points (exact, all 8.0M pairs, median included)
// Usage: pnpm --filter @walkjump/empirical-bayes bench [--runs 5] [--no-reference] [--backend wasm]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { key, normal, uniform, useBackend } from '@walkjump/tensor';
import { chiStatistics, deenLoss, gaussianKdeEnergy } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
};
const runs = Number(option('runs', '5'));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
async function timed(fn: () => Promise<void> | void, n: number): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let r = 0; r < n; r++) {
    const s = performance.now();
    await fn();
    ms.push(performance.now() - s);
  }
  return median(ms);
}

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
const deenMs = await timed(() => {
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
const kdeMs = await timed(
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
const chiMs = await timed(
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
  const python = process.env.WALKJUMP_PYTHON ?? '/usr/bin/python3';
  if (!existsSync(script)) return 'reference unavailable: eb_bench.py not found';
  const out = spawnSync(python, [script, '--runs', String(runs), '--threads', option('ref-threads', '2')], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (out.error !== undefined || out.status !== 0)
    return `reference unavailable: ${out.error?.message ?? (out.stderr || '').trim().split('\n').pop()}`;
  try {
    return JSON.parse(out.stdout.trim().split('\n').pop() ?? '') as Ref;
  } catch {
    return 'reference unavailable: unparsable output';
  }
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
