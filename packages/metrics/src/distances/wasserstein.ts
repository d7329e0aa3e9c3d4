import { ShapeError, ValueError, assertInteger } from '@walkjump/tensor';
import {
  type GroundCost,
  type Points,
  type Values,
  costMatrix,
  toPoints,
  toValues,
  toWeights,
} from '../internal/points.ts';
import { type EmdOptions, emd } from './network-simplex.ts';

/** Options of {@link wasserstein1}. */
export interface Wasserstein1Options extends EmdOptions {
  /** Weights of the points of `a` (length n): non-negative, normalized to sum 1; uniform by default. */
  readonly weightsA?: Values;
  /** Weights of the points of `b` (length m); uniform by default. */
  readonly weightsB?: Values;
  /** Ground cost: 'euclidean' (default), 'sqeuclidean', or an explicit [n, m] cost matrix. */
  readonly cost?: GroundCost;
}

/**
 * Exact Wasserstein-1 distance (earth mover's distance) between two weighted point clouds `a` [n, d] and
 * `b` [m, d]: min over couplings P of Σ P_ij C_ij, with Euclidean ground cost C_ij = ‖a_i − b_j‖ unless `cost`
 * says otherwise (with `cost: 'sqeuclidean'` the value is W2²). Solved exactly by the network simplex
 * ({@link emd}), as POT's `ot.emd2` does (Bonneel et al. 2011). Inputs are read once; the cost matrix and the
 * solver run in float64 JavaScript arrays. Memory O(nm). Returns a number.
 */
export function wasserstein1(a: Points, b: Points, opts: Wasserstein1Options = {}): number {
  const fn = 'wasserstein1';
  const A = toPoints(fn, 'a', a);
  const B = toPoints(fn, 'b', b, { d: A.d });
  const wa = toWeights(fn, 'weightsA', opts.weightsA, A.n);
  const wb = toWeights(fn, 'weightsB', opts.weightsB, B.n);
  const C = costMatrix(fn, A, B, opts.cost ?? 'euclidean');
  return emd(wa, wb, C, opts).cost;
}

/** A regular grid over a box: `bins` cells per axis (one number for all axes) and per-axis `[lo, hi]` bounds. */
export interface GridSpec {
  /** Cells per axis (e.g. 100 for 100 × 100 in 2-D, as in Ross et al. 2023, App. B). */
  readonly bins: number | readonly number[];
  /** Per-axis bounds `[lo, hi]`; by default the joint bounding box of the inputs. Points outside are clamped. */
  readonly bounds?: readonly (readonly [number, number])[];
}

interface Grid {
  readonly bins: number[];
  readonly lo: number[];
  readonly width: number[];
  readonly cells: number;
}

function makeGrid(fn: string, d: number, spec: GridSpec, sets: readonly { data: Float64Array; n: number }[]): Grid {
  const bins = typeof spec.bins === 'number' ? new Array<number>(d).fill(spec.bins) : [...spec.bins];
  if (bins.length !== d)
    throw new ShapeError(`${fn}: 'bins' must have one entry per dimension (${d}), got ${bins.length}`);
  bins.forEach((b, k) => {
    assertInteger(fn, `bins[${k}]`, b);
  });
  const lo: number[] = [];
  const width: number[] = [];
  for (let k = 0; k < d; k++) {
    let l: number;
    let h: number;
    const bd = spec.bounds?.[k];
    if (spec.bounds !== undefined) {
      if (spec.bounds.length !== d) {
        throw new ShapeError(`${fn}: 'bounds' must have one [lo, hi] per dimension (${d}), got ${spec.bounds.length}`);
      }
      if (bd === undefined || !(bd[1] > bd[0]) || !Number.isFinite(bd[0]) || !Number.isFinite(bd[1])) {
        throw new ValueError(`${fn}: 'bounds[${k}]' must be finite [lo, hi] with hi > lo, got [${bd?.join(', ')}]`);
      }
      [l, h] = bd;
    } else {
      l = Number.POSITIVE_INFINITY;
      h = Number.NEGATIVE_INFINITY;
      for (const s of sets) {
        for (let i = 0; i < s.n; i++) {
          const v = s.data[i * d + k] as number;
          if (v < l) l = v;
          if (v > h) h = v;
        }
      }
      if (!(h > l)) h = l + 1;
    }
    lo.push(l);
    width.push((h - l) / (bins[k] as number));
  }
  return { bins, lo, width, cells: bins.reduce((p, b) => p * b, 1) };
}

function histogram(g: Grid, d: number, data: Float64Array, n: number, w: Float64Array): Float64Array {
  const h = new Float64Array(g.cells);
  for (let i = 0; i < n; i++) {
    let cell = 0;
    for (let k = 0; k < d; k++) {
      const nb = g.bins[k] as number;
      let c = Math.floor(((data[i * d + k] as number) - (g.lo[k] as number)) / (g.width[k] as number));
      if (c < 0) c = 0;
      if (c >= nb) c = nb - 1;
      cell = cell * nb + c;
    }
    h[cell] = (h[cell] as number) + (w[i] as number);
  }
  return h;
}

function cellCentre(g: Grid, d: number, cell: number, out: Float64Array, off: number): void {
  for (let k = d - 1; k >= 0; k--) {
    const nb = g.bins[k] as number;
    const c = cell % nb;
    cell = (cell - c) / nb;
    out[off + k] = (g.lo[k] as number) + (c + 0.5) * (g.width[k] as number);
  }
}

function gridEmd(fn: string, g: Grid, d: number, ha: Float64Array, hb: Float64Array): number {
  const normalize = (h: Float64Array, name: string): { idx: number[]; w: Float64Array } => {
    let s = 0;
    const idx: number[] = [];
    for (let c = 0; c < h.length; c++) {
      const v = h[c] as number;
      if (v < 0 || !Number.isFinite(v))
        throw new ValueError(`${fn}: '${name}' cell masses must be finite and >= 0, cell ${c} is ${v}`);
      if (v > 0) {
        s += v;
        idx.push(c);
      }
    }
    if (!(s > 0)) throw new ValueError(`${fn}: '${name}' has no mass on the grid`);
    return { idx, w: Float64Array.from(idx, (c) => (h[c] as number) / s) };
  };
  const A = normalize(ha, 'a');
  const B = normalize(hb, 'b');
  const ca = new Float64Array(A.idx.length * d);
  const cb = new Float64Array(B.idx.length * d);
  A.idx.forEach((c, i) => {
    cellCentre(g, d, c, ca, i * d);
  });
  B.idx.forEach((c, i) => {
    cellCentre(g, d, c, cb, i * d);
  });
  const C = costMatrix(fn, { data: ca, n: A.idx.length, d }, { data: cb, n: B.idx.length, d }, 'euclidean');
  return emd(A.w, B.w, C).cost;
}

/** Options of {@link gridWasserstein}. */
export interface GridWassersteinOptions extends GridSpec {
  readonly weightsA?: Values;
  readonly weightsB?: Values;
}

/**
 * Grid Wasserstein-1 distance of Ross et al. (2023), Sec. 4.1 and App. B: discretize the box into
 * `bins` cells per axis, put each (weighted) sample of `a` [n, d] and `b` [m, d] in its cell, normalize the cell
 * masses over all cells, and return the exact W1 between the two histograms with cell-centre Euclidean ground
 * distances (solved by {@link emd} on the occupied cells only). Histogramming and the solver run in float64
 * JavaScript arrays. The value depends on the grid: compare models on the same `bins` and `bounds`.
 */
export function gridWasserstein(a: Points, b: Points, opts: GridWassersteinOptions): number {
  const fn = 'gridWasserstein';
  const A = toPoints(fn, 'a', a);
  const B = toPoints(fn, 'b', b, { d: A.d });
  const wa = toWeights(fn, 'weightsA', opts.weightsA, A.n);
  const wb = toWeights(fn, 'weightsB', opts.weightsB, B.n);
  const g = makeGrid(fn, A.d, opts, [A, B]);
  return gridEmd(fn, g, A.d, histogram(g, A.d, A.data, A.n, wa), histogram(g, A.d, B.data, B.n, wb));
}

/**
 * Grid Wasserstein-1 distance between two sets of non-negative cell masses (or average cell densities, as in
 * Ross et al. 2023, App. B) on the same grid: `massA` and `massB` have length Π bins in row-major cell order (last
 * axis fastest); both are normalized over the cells; ground distance is between cell centres. `bounds` is required
 * (the grid's box). float64 JavaScript arrays throughout.
 */
export function histogramWasserstein(
  massA: Values,
  massB: Values,
  opts: { readonly bins: number | readonly number[]; readonly bounds: readonly (readonly [number, number])[] },
): number {
  const fn = 'histogramWasserstein';
  const d = opts.bounds.length;
  if (d < 1) throw new ShapeError(`${fn}: 'bounds' must have at least one axis`);
  const g = makeGrid(fn, d, opts, []);
  const ha = toValues(fn, 'massA', massA, { length: g.cells });
  const hb = toValues(fn, 'massB', massB, { length: g.cells });
  return gridEmd(fn, g, d, ha, hb);
}
