// Benchmarks of @walkjump/manifold: constrained HMC (RATTLE, 5 leapfrog steps, reversibility
// check, MH) and constrained Langevin (Ross et al. 2023, Alg. 1) steps/s, and tangent projection
// throughput (explicit Jacobian and CG on JJᵀ), on the analytic sphere S² (256 chains, von
// Mises–Fisher energy) and on a learned-style MLP constraint R¹⁶ → R⁴ (tanh 16-64-64-4, fixed random
// weights, 64 chains). The same computations in PyTorch (tooling/reference/manifold_bench.py) run in
// the same invocation and give the ratio.
//
//   pnpm --filter @walkjump/manifold bench [--backend wasm|cpu] [--runs 5] [--json] [--no-reference]
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { cliArgs, rate as benchRate, runPythonReference } from '@walkjump/testing/bench';
import { backendInfo, key, normal, useBackend } from '@walkjump/tensor';
import {
  type ConstrainedKernel,
  type ConstrainedState,
  type ConstraintFn,
  constrainedHmc,
  constrainedLangevin,
  disposeConstrainedState,
  projectToManifold,
  sphere,
  tangentProject,
} from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { flag, option } = cliArgs();
const runs = Math.max(3, Number(option('runs', '5')));
const json = flag('json');
const log = (...a: unknown[]): void => {
  if (!json) console.log(...a);
};

/** Median rate (calls per second) over `runs` runs sized to ~0.6 s, after a warm-up (as the reference). */
const rate = (fn: () => void, targetRunMs = 600): number => benchRate(fn, { runs, targetRunMs });

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}

/** tanh MLP 16-64-64-4 with fixed random weights (raw tf ops: manifold may not depend on nets). */
function mlpConstraint(): ConstraintFn {
  const r = lcg(1);
  const w = (a: number, b: number): tf.Tensor2D =>
    tf.keep(
      tf.tensor2d(
        Array.from({ length: a * b }, () => (2 * r() - 1) * Math.sqrt(3 / a)),
        [a, b],
      ),
    );
  const W1 = w(16, 64);
  const W2 = w(64, 64);
  const W3 = w(64, 4);
  const b3 = tf.keep(tf.fill([4], 0.1));
  return (x) =>
    tf.tidy(() => {
      const a = tf.tanh(tf.matMul(x as tf.Tensor2D, W1));
      const b = tf.tanh(tf.matMul(a, W2));
      return tf.add(tf.matMul(b, W3), b3);
    });
}

function chain(kernel: ConstrainedKernel, x0: tf.Tensor): () => void {
  let st: ConstrainedState = kernel.init(x0);
  let i = 0;
  return () => {
    const [next] = kernel.step(key(i++), st);
    disposeConstrainedState(st);
    st = next;
  };
}

function projector(F: ConstraintFn, x: tf.Tensor, v: tf.Tensor, method: 'cg' | 'exact'): () => void {
  return () => {
    const r = tangentProject(F, x, v, { method, tol: 1e-6 });
    r.projected.dispose();
  };
}

async function main(): Promise<void> {
  await useBackend(option('backend', 'wasm') as 'wasm' | 'cpu');
  const info = backendInfo();
  log(`@walkjump/manifold bench — backend ${info.name}, runs ${runs}`);
  const ours: Record<string, number> = {};

  // Sphere S², 256 chains, vMF energy E = −2x₃.
  const S = sphere(3).constraintFn;
  const C = 256;
  const xs = tf.tidy(() => {
    const g = normal(key(0), [C, 3]);
    return tf.div(g, tf.norm(g, 2, 1, true));
  });
  const vs = normal(key(1), [C, 3]);
  const vmf = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(-2, tf.reshape(tf.slice(x, [0, 2], [-1, 1]), [-1])));
  ours.sphere_hmc_steps_per_s = rate(chain(constrainedHmc(S, vmf, { stepSize: 0.3, numSteps: 5 }), xs));
  ours.sphere_langevin_steps_per_s = rate(chain(constrainedLangevin(S, vmf, { stepSize: 0.3 }), xs));
  ours.sphere_project_exact_points_per_s = C * rate(projector(S, xs, vs, 'exact'));
  ours.sphere_project_cg_points_per_s = C * rate(projector(S, xs, vs, 'cg'));

  // MLP constraint R¹⁶ → R⁴, 64 chains on its zero set, E = ½‖x‖².
  const F = mlpConstraint();
  const C2 = 64;
  const x0 = tf.tidy(() => tf.mul(0.5, normal(key(2), [C2, 16])));
  const proj = projectToManifold(F, x0, { tol: 1e-6 });
  if (!proj.converged) throw new Error('bench: could not project the start points onto the MLP manifold');
  const x2 = proj.position;
  const v2 = normal(key(3), [C2, 16]);
  const quad = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(x), 1)));
  ours.mlp_hmc_steps_per_s = rate(chain(constrainedHmc(F, quad, { stepSize: 0.05, numSteps: 5 }), x2));
  ours.mlp_langevin_steps_per_s = rate(chain(constrainedLangevin(F, quad, { stepSize: 0.05 }), x2));
  ours.mlp_langevin_cg_steps_per_s = rate(
    chain(constrainedLangevin(F, quad, { stepSize: 0.05, linearSolver: 'cg' }), x2),
  );
  ours.mlp_project_exact_points_per_s = C2 * rate(projector(F, x2, v2, 'exact'));
  ours.mlp_project_cg_points_per_s = C2 * rate(projector(F, x2, v2, 'cg'));

  let ref: Record<string, number> | undefined;
  const script = join(here, '../../../tooling/reference/manifold_bench.py');
  if (!flag('no-reference') && existsSync('/usr/bin/python3') && existsSync(script)) {
    const r = runPythonReference<Record<string, number>>(script, ['--runs', runs], { python: '/usr/bin/python3' });
    if (typeof r === 'string') log(r);
    else ref = r;
  } else log('reference unavailable (needs /usr/bin/python3 with torch)');

  const rows = Object.entries(ours).map(([name, v]) => {
    const refKey = name.replace('_cg_steps', '_steps');
    const rv = name === 'mlp_langevin_cg_steps_per_s' ? undefined : ref?.[refKey];
    return { name, walkjump: v, reference: rv, ratio: rv === undefined ? undefined : v / rv };
  });
  if (json) {
    console.log(JSON.stringify({ backend: info.name, runs, rows, reference: ref }));
  } else {
    log('| measurement | walkjump (median) | PyTorch (median) | ratio (walkjump / PyTorch) |');
    log('|---|---|---|---|');
    const f = (x: number | undefined): string => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(2));
    for (const r of rows)
      log(`| ${r.name} | ${f(r.walkjump)} | ${f(r.reference)} | ${r.ratio === undefined ? '—' : r.ratio.toFixed(2)} |`);
  }
  tf.dispose([xs, vs, x0, x2, v2]);
}

await main();
