import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, assertNonNegative, assertPositive, type Key, split } from '@walkjump/tensor';
import { checkPoints, checkSampleArgs } from '../internal/check.ts';
import { normals, uniforms } from '../internal/rng.ts';
import type { Distribution } from './types.ts';

const toTensor2 = (a: Float32Array, n: number): tf.Tensor => tf.tensor(a, [n, 2], 'float32');

/**
 * Two interleaving half circles ("two moons", as scikit-learn's `make_moons`, with the position
 * along each arc drawn uniformly rather than on a grid): outer (cos t, sin t), inner
 * (1 − cos t, ½ − sin t), t ~ U(0, π), each with probability ½, plus N(0, noise²I). Sampling only
 * (no density: the noisy arc law has none in closed form). `sample` → `[n, 2]`, caller owns it.
 */
export function twoMoons(opts: { noise?: number } = {}): Distribution {
  const noise = opts.noise ?? 0.1;
  assertNonNegative('twoMoons', 'noise', noise);
  return {
    eventShape: [2],
    sample(key, n) {
      checkSampleArgs('twoMoons.sample', key, n);
      const [k1, k2] = split(key, 2) as [Key, Key];
      const u = uniforms(k1, 2 * n);
      const z = normals(k2, 2 * n);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const t = Math.PI * u[2 * i]!;
        const outer = u[2 * i + 1]! < 0.5;
        out[2 * i] = (outer ? Math.cos(t) : 1 - Math.cos(t)) + noise * z[2 * i]!;
        out[2 * i + 1] = (outer ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * z[2 * i + 1]!;
      }
      return toTensor2(out, n);
    },
  };
}

/**
 * The 2-D swiss roll of FFJORD (Grathwohl et al. 2019): t = 1.5π(1 + 2u), u ~ U(0, 1),
 * x = ((t cos t, t sin t) + noise·ε)·scale, defaults noise 1, scale 1/5. Sampling only.
 * `sample` → `[n, 2]`, caller owns it.
 */
export function swissRoll(opts: { noise?: number; scale?: number } = {}): Distribution {
  const noise = opts.noise ?? 1;
  const scale = opts.scale ?? 0.2;
  assertNonNegative('swissRoll', 'noise', noise);
  assertPositive('swissRoll', 'scale', scale);
  return {
    eventShape: [2],
    sample(key, n) {
      checkSampleArgs('swissRoll.sample', key, n);
      const [k1, k2] = split(key, 2) as [Key, Key];
      const u = uniforms(k1, n);
      const z = normals(k2, 2 * n);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const t = 1.5 * Math.PI * (1 + 2 * u[i]!);
        out[2 * i] = scale * (t * Math.cos(t) + noise * z[2 * i]!);
        out[2 * i + 1] = scale * (t * Math.sin(t) + noise * z[2 * i + 1]!);
      }
      return toTensor2(out, n);
    },
  };
}

/**
 * The pinwheel of Johnson et al. (2016) as used by FFJORD: `arms` classes (default 5), radial
 * std 0.3, tangential std 0.1, rate 0.25: f = (1 + 0.3ε₁, 0.1ε₂), angle a = 2πk/arms + rate·e^{f₁},
 * x = 2·(f₁cos a + f₂sin a, −f₁sin a + f₂cos a)… in FFJORD's row-vector convention. Sampling only.
 * `sample` → `[n, 2]`, caller owns it.
 */
export function pinwheel(
  opts: { arms?: number; radialStd?: number; tangentialStd?: number; rate?: number } = {},
): Distribution {
  const arms = opts.arms ?? 5;
  const rs = opts.radialStd ?? 0.3;
  const ts = opts.tangentialStd ?? 0.1;
  const rate = opts.rate ?? 0.25;
  assertInteger('pinwheel', 'arms', arms, 1);
  assertNonNegative('pinwheel', 'radialStd', rs);
  assertNonNegative('pinwheel', 'tangentialStd', ts);
  assertNonNegative('pinwheel', 'rate', rate);
  return {
    eventShape: [2],
    sample(key, n) {
      checkSampleArgs('pinwheel.sample', key, n);
      const [k1, k2] = split(key, 2) as [Key, Key];
      const u = uniforms(k1, n);
      const z = normals(k2, 2 * n);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const k = Math.min(arms - 1, Math.floor(u[i]! * arms));
        const f1 = 1 + rs * z[2 * i]!;
        const f2 = ts * z[2 * i + 1]!;
        const a = (2 * Math.PI * k) / arms + rate * Math.exp(f1);
        const c = Math.cos(a);
        const s = Math.sin(a);
        out[2 * i] = 2 * (f1 * c + f2 * s);
        out[2 * i + 1] = 2 * (-f1 * s + f2 * c);
      }
      return toTensor2(out, n);
    },
  };
}

/** The checkerboard distribution, with its exact (piecewise constant) density. */
export interface Checkerboard extends Distribution {
  /** Cells per side. */
  readonly cells: number;
  /** Side length of one cell. */
  readonly cellWidth: number;
  /** Points `[n, 2]`; caller owns them. */
  sample(key: Key, n: number): tf.Tensor;
  /** Exact log-density `[n]`: −log(#black · width²) on black cells, −∞ elsewhere; caller owns it. */
  logProb(x: tf.Tensor): tf.Tensor;
}

/**
 * The checkerboard of FFJORD (Grathwohl et al. 2019): uniform on the "black" cells of a
 * `cells`×`cells` board (default 4) of square cells of side `cellWidth` (default 2), centred at
 * the origin (so [−4, 4]² by default); cell (i, j), counted from the lower-left, is black when
 * i + j is even. Exact density 1/(#black · width²) = 1/32 by default.
 */
export function checkerboard(opts: { cells?: number; cellWidth?: number } = {}): Checkerboard {
  const cells = opts.cells ?? 4;
  const w = opts.cellWidth ?? 2;
  assertInteger('checkerboard', 'cells', cells, 1);
  assertPositive('checkerboard', 'cellWidth', w);
  const black: [number, number][] = [];
  for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) if ((i + j) % 2 === 0) black.push([i, j]);
  const half = (cells * w) / 2;
  const logDensity = -Math.log(black.length * w * w);
  return {
    eventShape: [2],
    cells,
    cellWidth: w,
    sample(key, n) {
      checkSampleArgs('checkerboard.sample', key, n);
      const u = uniforms(key, 3 * n);
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const [ci, cj] = black[Math.min(black.length - 1, Math.floor(u[3 * i]! * black.length))]!;
        out[2 * i] = -half + (ci + u[3 * i + 1]!) * w;
        out[2 * i + 1] = -half + (cj + u[3 * i + 2]!) * w;
      }
      return toTensor2(out, n);
    },
    logProb(x) {
      checkPoints('checkerboard.logProb', x, 2);
      return tf.tidy(() => {
        const idx = tf.floor(tf.div(tf.add(x, half), w));
        const inside = tf.all(tf.logicalAnd(tf.greaterEqual(idx, 0), tf.less(idx, cells)), 1);
        const parity = tf.mod(tf.sum(idx, 1), 2);
        const ok = tf.logicalAnd(inside, tf.equal(parity, 0));
        return tf.where(ok, tf.fill([x.shape[0]!], logDensity), tf.fill([x.shape[0]!], Number.NEGATIVE_INFINITY));
      });
    },
  };
}
