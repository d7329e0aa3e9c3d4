// A 10⁶-step lifelong chain on an analytic target (Sachs, Alg. 1, on a 2-D correlated Gaussian,
// 8 chains) with streaming to a file every 1 000 steps, a checkpoint every 100 000 steps and health
// checks every 1 000 steps; prints tf.memory().numTensors and RSS every 50 000 steps.
//
//   pnpm --filter @walkjump/langevin exec tsx --conditions=@walkjump/source bench/lifelong.ts [steps] [--json]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { key, normal, useBackend } from '@walkjump/tensor';
import { lifelongChain, sachsUnderdamped } from '../src/index.ts';

await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
const steps = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const json = process.argv.includes('--json');
const dir = mkdtempSync(join(tmpdir(), 'wj-lifelong-bench-'));
const A = tf.tensor2d([
  [1, 0.6],
  [0.6, 1],
]);
const score = (y: tf.Tensor) => tf.tidy(() => tf.neg(tf.matMul(y as tf.Tensor2D, A as tf.Tensor2D)));
const init = normal(key(0), [8, 2]);
const samples: { step: number; numTensors: number; rssMB: number }[] = [];
const t0 = Date.now();
const before = tf.memory().numTensors;
const res = await lifelongChain({
  kernel: sachsUnderdamped({ score }, { stepSize: 0.5, friction: 1 }),
  key: key(1),
  init,
  steps,
  every: 1000,
  file: join(dir, 'samples.f32'),
  checkpoint: { dir: join(dir, 'ckpt'), every: 100_000 },
  check: { every: 1000, maxAbs: 50 },
  onSample: (e) => {
    if (e.step % 50_000 === 0) {
      const r = { step: e.step, numTensors: tf.memory().numTensors, rssMB: process.memoryUsage().rss / 2 ** 20 };
      samples.push(r);
      if (!json)
        console.log(
          `step ${r.step}: numTensors ${r.numTensors}, RSS ${r.rssMB.toFixed(1)} MB, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        );
    }
  },
});
const fileBytes = statSync(join(dir, 'samples.f32')).size;
tf.dispose([init, res.state as unknown as tf.TensorContainer]);
A.dispose();
const after = tf.memory().numTensors;
rmSync(dir, { recursive: true, force: true });
const late = samples.slice(1).map((s) => s.rssMB);
const summary = {
  steps: res.step,
  status: res.status,
  seconds: (Date.now() - t0) / 1000,
  stepsPerSecond: res.stepsPerSecond,
  numTensorsDistinct: [...new Set(samples.map((s) => s.numTensors))],
  numTensorsBeforeAfter: [before, after],
  rssMinMaxMB: [Math.min(...late), Math.max(...late)],
  rssSpreadPct: (100 * (Math.max(...late) - Math.min(...late))) / Math.min(...late),
  fileBytes,
  divergences: res.divergences.length,
};
console.log(JSON.stringify(summary));
