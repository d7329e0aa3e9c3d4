// Benchmarks of @walkjump/nets: forward and input-gradient throughput (samples/s) of every network at
// a realistic batch size, each beside the same network in PyTorch (tooling/reference/nets_bench.py,
// run in the same `pnpm bench`) as a ratio (> 1: walkjump is faster).
//
//   pnpm --filter @walkjump/nets bench [--backend wasm|cpu] [--threads 1] [--ref-threads 1] [--runs 5] [--json] [--no-reference]
//
// "input gradient" is ∇_x Σ_b E(x_b) for energies and the vector-Jacobian product ∇_x Σ ⟨w, f(x)⟩ for
// networks with a vector output (what Langevin samplers and DEEN's inner gradient compute).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { cliArgs, rate as benchRate, runPythonReference } from '@walkjump/testing/bench';
import { backendInfo, key, normal, type Params, useBackend } from '@walkjump/tensor';
import {
  classifier,
  convEnergy,
  disposeParams,
  mlp,
  type Network,
  resnetDecoder,
  resnetEncoder,
  u2net,
  unet,
} from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { flag, option } = cliArgs();
const runs = Math.max(3, Number(option('runs', '5')));
const json = flag('json');
const log = (...a: unknown[]): void => {
  if (!json) console.log(...a);
};

/** The benchmarked networks; nets_bench.py builds the same ones (ids must match). */
interface Case {
  id: string;
  label: string;
  net: Network;
  inputShape: number[];
  batch: number;
  cond?: boolean;
}
const CASES: Case[] = [
  {
    id: 'mlp',
    label: 'mlp 784-512-512-1',
    net: mlp({ widths: [512, 512] }) as unknown as Network,
    inputShape: [784],
    batch: 128,
  },
  {
    id: 'conv',
    label: 'convEnergy 32-64/2-64/2, 128',
    net: convEnergy({ channels: [32, 64, 64], hidden: 128 }) as unknown as Network,
    inputShape: [28, 28, 1],
    batch: 64,
  },
  {
    id: 'unet',
    label: 'unet [32, 64] + t, 28×28',
    net: unet({ channels: [32, 64], conditioning: true }) as unknown as Network,
    inputShape: [28, 28, 1],
    batch: 32,
    cond: true,
  },
  {
    id: 'u2net',
    label: 'u2net RSU5-4-3 (16→32…64)',
    net: u2net({ sigma: 0.5 }) as unknown as Network,
    inputShape: [28, 28, 1],
    batch: 16,
  },
  {
    id: 'resenc',
    label: 'resnetEncoder 32-64-128 → 16',
    net: resnetEncoder({ latent: 16 }) as unknown as Network,
    inputShape: [28, 28, 1],
    batch: 64,
  },
  {
    id: 'resdec',
    label: 'resnetDecoder 16 → 28×28',
    net: resnetDecoder({ latent: 16, outputShape: [28, 28, 1] }) as unknown as Network,
    inputShape: [16],
    batch: 64,
  },
  {
    id: 'classifier',
    label: 'classifier (MNIST) logits',
    net: classifier() as unknown as Network,
    inputShape: [28, 28, 1],
    batch: 256,
  },
];

/** Median calls per second over `runs` timed runs (~0.4 s each) after a warm-up. */
const rate = (fn: () => void, targetRunMs = 400): number => benchRate(fn, { runs, targetRunMs });

function bench(c: Case): { forward: number; grad: number } {
  const params = c.net.init(key(0), c.inputShape) as Params;
  const x = normal(key(1), [c.batch, ...c.inputShape]);
  const t = c.cond ? tf.fill([c.batch], 0.5) : undefined;
  const before = tf.memory().numTensors;
  const apply = (z: tf.Tensor): tf.Tensor => c.net.apply(params, z, t);
  const probe = apply(x);
  const w = probe.rank > 1 ? normal(key(2), probe.shape) : undefined;
  probe.dispose();
  const fwd = rate(() => {
    const y = apply(x);
    y.dataSync();
    y.dispose();
  });
  const grad = rate(() => {
    const g = tf.tidy(() =>
      tf.grad((z: tf.Tensor) => (w === undefined ? tf.sum(apply(z)) : tf.sum(tf.mul(apply(z), w))))(x),
    );
    g.dataSync();
    g.dispose();
  });
  if (tf.memory().numTensors !== before + (w === undefined ? 0 : 1)) throw new Error(`bench ${c.id}: tensors leaked`);
  tf.dispose([x, ...(t ? [t] : []), ...(w ? [w] : [])]);
  disposeParams(params);
  return { forward: fwd * c.batch, grad: grad * c.batch };
}

type Reference = { torch: string; threads: number; results: Record<string, { forward: number; grad: number }> };

function runReference(): Reference | string {
  const script = join(here, '../../../tooling/reference/nets_bench.py');
  return runPythonReference<Reference>(script, ['--runs', runs, '--threads', option('ref-threads', '1')], {
    timeoutMs: 900_000,
  });
}

const info = await useBackend(option('backend', 'wasm'), {
  threads: Number(option('threads', process.env['WALKJUMP_WASM_THREADS'] ?? '1')),
});
log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads}); median of ${runs} runs; samples/s`);
const ours: Record<string, { forward: number; grad: number }> = {};
for (const c of CASES) {
  ours[c.id] = bench(c);
  log(
    `  ${c.label.padEnd(32)} forward ${ours[c.id]!.forward.toFixed(0).padStart(8)}  input grad ${ours[c.id]!.grad.toFixed(0).padStart(8)}`,
  );
}
const ref = flag('no-reference') ? 'reference unavailable: --no-reference' : runReference();
if (json) {
  console.log(
    JSON.stringify({
      backend: backendInfo(),
      runs,
      walkjump: ours,
      reference: typeof ref === 'string' ? null : ref,
      note: typeof ref === 'string' ? ref : undefined,
    }),
  );
} else {
  const refName = typeof ref === 'string' ? 'PyTorch' : `PyTorch ${ref.torch} (${ref.threads} thr)`;
  log(
    `\n${'network (batch)'.padEnd(40)} ${'mode'.padEnd(10)} ${`walkjump/${info.name}`.padStart(14)} ${refName.padStart(24)} ${'ratio'.padStart(7)}`,
  );
  for (const c of CASES) {
    for (const mode of ['forward', 'grad'] as const) {
      const a = ours[c.id]![mode];
      const b = typeof ref === 'string' ? undefined : ref.results[c.id]?.[mode];
      log(
        `${`${c.label} (${c.batch})`.padEnd(40)} ${(mode === 'grad' ? 'input grad' : 'forward').padEnd(10)} ${a.toFixed(0).padStart(14)} ${(b === undefined ? '—' : b.toFixed(0)).padStart(24)} ${(b === undefined ? '—' : (a / b).toFixed(3)).padStart(7)}`,
      );
    }
  }
  if (typeof ref === 'string') log(`\n${ref}`);
}
