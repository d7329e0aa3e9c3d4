// 002 Figure 3 (and Table 3's "manifold arithmetic" row): an EBIM learned on the sphere from 1 000
// points of a balanced mixture of two projected normals (centres (±1, 0, 0), unit covariance), then,
// with no further training, two copies translated by ±0.5 along x: their union (product of the
// MDFs, mixture of the energies) and their intersection (concatenated MDFs, summed energies: a
// circle in R³, here x = 0, radius √0.75 for the exact sphere). Sampled with @walkjump/manifold's
// constrainedHmc (intersection, exact) and as a mixture (union; the paper's advice, Sec. 3.1), and
// constrained Langevin directly on the product MDF to show the caveat (failures at the seam).
import * as tf from '@tensorflow/tfjs-core';
import {
  type ConstraintFn,
  constrainedHmc,
  constrainedLangevin,
  disposeConstrainedState,
  intersection,
  union,
} from '@walkjump/manifold';
import { type Key, backendInfo, foldIn, key, normal, split, uniform, useBackend } from '@walkjump/tensor';
import { type ReproArgs, prepareOut, writeSummary } from './lib/common.ts';
import {
  type Budget,
  type DatasetSpec,
  COLOURS,
  disposeEbim,
  distanceStats,
  ebimDistances,
  projectedUniform,
  sampleEbim,
  scatterPng,
  trainEbim,
} from './manifold-common.ts';

export const meta = {
  id: 'manifold-arithmetic',
  title: 'Manifold arithmetic on a learned sphere: union and intersection of two translated copies',
  source: '002 Figure 3, Table 3 (manifold arithmetic)',
};

const FULL: Budget = {
  mdfSteps: 1000,
  mdfLangevinSteps: 10,
  cebmSteps: 150,
  cebmLangevinSteps: 10,
  aeSteps: 0,
  latentEbmSteps: 0,
  latentLangevinSteps: 0,
  sampleChains: 1500,
  sampleSteps: 60,
  hmcChains: 600,
  hmcSteps: 30,
};
const QUICK: Budget = {
  ...FULL,
  mdfSteps: 30,
  cebmSteps: 5,
  sampleChains: 100,
  sampleSteps: 5,
  hmcChains: 50,
  hmcSteps: 3,
};

function projectedNormalMixture(k: Key, n: number): tf.Tensor2D {
  const [kz, kc] = split(k, 2) as [Key, Key];
  return tf.tidy(() => {
    const sign = tf.sub(tf.mul(2, tf.cast(tf.less(uniform(kc, [n, 1]), 0.5), 'float32')), 1);
    const centre = tf.mul(sign, tf.tensor2d([[1, 0, 0]]));
    const x = tf.add(centre, normal(kz, [n, 3]));
    return tf.div(x, tf.norm(x, 2, 1, true)) as tf.Tensor2D;
  });
}

export async function run(args: ReproArgs): Promise<void> {
  await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
  console.log(`backend ${backendInfo().name}`);
  const t0 = performance.now();
  const out = prepareOut(args.out);
  const budget = args.quick ? QUICK : FULL;
  const [kd, ke, ks, ku, ki, kl] = split(key(3), 6) as [Key, Key, Key, Key, Key, Key];
  const box: [number, number][] = [
    [-1.3, 1.3],
    [-1.3, 1.3],
    [-1.3, 1.3],
  ];
  const data = projectedNormalMixture(kd, 1000);
  const spec: DatasetSpec = {
    data,
    truth: data,
    m: 2,
    box,
    bins: 30,
    mdf: { widths: [8, 8, 8], alpha: 0.3, beta: 10, eta: 0.1, batchSize: 100, lr: 0.01 },
    cebm: { widths: [32, 32], regularization: 1, batchSize: 100, stepSize: 0.3 },
    pebm: { widths: [32], regularization: 0.1 },
  };
  const model = trainEbim(ke, spec, budget, (s) => console.log(s));
  const base = sampleEbim(ks, model, box, budget.sampleChains, budget.sampleSteps, 'hmc', 0.2);
  const near = ebimDistances(model.F, data);
  const dist = { ...distanceStats(near.distances), nearestPointNotConverged: near.notConverged };
  const radii = tf.tidy(() => Array.from(tf.norm(base.samples, 2, 1).dataSync()));

  const a = tf.tensor1d([0.5, 0, 0]);
  const shift =
    (f: (x: tf.Tensor) => tf.Tensor, sgn: number) =>
    (x: tf.Tensor): tf.Tensor =>
      tf.tidy(() => f(sgn > 0 ? tf.sub(x, a) : tf.add(x, a)));
  const F1: ConstraintFn = shift(model.F, 1);
  const F2: ConstraintFn = shift(model.F, -1);
  const E1 = shift(model.energy, 1);
  const E2 = shift(model.energy, -1);

  // Intersection: concatenated MDFs (k = 2, a curve in R³), energies add; exact constrained HMC.
  const capF = intersection(F1, F2);
  const capE = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.add(E1(x), E2(x)));
  const capStart = projectedUniform(ki, budget.hmcChains, capF, box, 1e-4);
  const capK = constrainedHmc(capF, capE, { stepSize: 0.1, numSteps: 5, tol: 1e-4, reversibilityTol: 1e-3 });
  let st = capK.init(capStart);
  capStart.dispose();
  let capAcc = 0;
  let capMaxRes = 0;
  for (let t = 0; t < budget.hmcSteps; t++) {
    const [nx, info] = capK.step(foldIn(ki, 1000 + t), st);
    disposeConstrainedState(st);
    st = nx;
    capAcc += info.acceptanceRate / budget.hmcSteps;
    capMaxRes = Math.max(capMaxRes, ...info.constraintResidual);
  }
  const cap = tf.clone(st.position);
  disposeConstrainedState(st);
  const capPts = cap.arraySync();
  const capX = capPts.map((p) => Math.abs(p[0]!));
  const capR = capPts.map((p) => Math.hypot(p[1]!, p[2]!));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / Math.max(v.length, 1);

  // Union as a mixture of the two translated models (exact: equal normalizers), the recommended way.
  const half = Math.floor(base.samples.shape[0] / 2);
  const cup = tf.tidy(() =>
    tf.concat([
      tf.add(tf.slice(base.samples, [0, 0], [half, 3]), a),
      tf.sub(tf.slice(base.samples, [half, 0], [-1, 3]), a),
    ]),
  ) as tf.Tensor2D;
  // Union by constrained Langevin directly on the product MDF (the caveat: J = 0 on the seam).
  const cupF = union(F1, F2);
  const cupE = (x: tf.Tensor): tf.Tensor =>
    tf.tidy(() => tf.neg(tf.logSumExp(tf.stack([tf.neg(E1(x)), tf.neg(E2(x))], 1), 1)));
  const cupStart = projectedUniform(ku, budget.hmcChains, cupF, box, 1e-4);
  const cupK = constrainedLangevin(cupF, cupE, { stepSize: 0.1, tol: 1e-4 });
  let su = cupK.init(cupStart);
  cupStart.dispose();
  let cupFail = 0;
  let cupSteps = 0;
  for (let t = 0; t < budget.sampleSteps; t++) {
    const [nx, info] = cupK.step(foldIn(kl, t), su);
    disposeConstrainedState(su);
    su = nx;
    cupFail += info.solverFailed.filter(Boolean).length;
    cupSteps += info.accepted.length;
  }
  const cupDirect = tf.clone(su.position);
  disposeConstrainedState(su);

  await scatterPng(
    out('figure3.png'),
    [
      { layers: [{ points: base.samples, colour: COLOURS[1]! }] },
      { layers: [{ points: cup, colour: COLOURS[2]! }] },
      { layers: [{ points: cap, colour: COLOURS[3]! }] },
    ],
    { yaw: 0.5, pitch: 0.35, range: [-1.9, 1.9, -1.9, 1.9] },
  );
  const sorted = [...radii].sort((x, y) => x - y);
  await writeSummary(args.out, {
    id: meta.id,
    budget,
    learnedSphere: {
      sampler: 'constrainedHmc (5 leapfrog steps, h = 0.2)',
      acceptance: base.acceptance,
      rejectedBySolverOrReversibility: base.failures,
      maxResidual: base.maxResidual,
      sampleRadius: { min: sorted[0], median: sorted[sorted.length >> 1], max: sorted[sorted.length - 1] },
      fractionWithPositiveX: mean(base.samples.arraySync().map((p) => (p[0]! > 0 ? 1 : 0))),
    },
    table3ManifoldArithmetic: { ours: dist, paper: 'min 2.387e-5, median 0.77e-2, mean 0.79e-2, max 0.018' },
    intersection: {
      sampler: 'constrainedHmc on (F1, F2), k = 2, h = 0.1',
      chains: cap.shape[0],
      acceptance: capAcc,
      maxResidual: capMaxRes,
      meanAbsX: mean(capX),
      meanRadius: mean(capR),
      exactSphereAnswer: { absX: 0, radius: Math.sqrt(0.75) },
    },
    union: {
      mixture: { samples: cup.shape[0] },
      clmcOnProductMdf: { chainSteps: cupSteps, solverFailures: cupFail, failureRate: cupFail / Math.max(cupSteps, 1) },
    },
    png: 'figure3.png: learned sphere (blue, constrainedHmc), union of the translated copies (red, mixture), intersection (green, constrainedHmc)',
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  });
  tf.dispose([base.samples, cap, cup, cupDirect, a, data]);
  disposeEbim(model);
}
