import { ShapeError, ValueError } from '../errors/errors.ts';

/** Eigendecomposition of a symmetric matrix: A = V diag(values) Vᵀ. */
export interface SymmetricEig {
  /** Eigenvalues in ascending order, length n. */
  readonly values: Float64Array;
  /** Eigenvectors as the columns of an n×n row-major matrix: V[i·n + k] is component i of vector k. */
  readonly vectors: Float64Array;
  /** Jacobi sweeps used. */
  readonly sweeps: number;
}

const MAX_N = 512;

function checkSquare(fn: string, a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_N) {
    throw new ValueError(`${fn}: 'n' must be an integer in [1, ${MAX_N}], got ${String(n)}`);
  }
  if (a.length !== n * n)
    throw new ShapeError(`${fn}: 'a' must hold n·n = ${n * n} entries (row-major), got ${a.length}`);
}

/**
 * Symmetric eigendecomposition by the cyclic Jacobi method with threshold (Golub & Van Loan,
 * *Matrix Computations* 4th ed., Algorithm 8.5.3; rotations as in Rutishauser 1966), in float64 on
 * the host — for small matrices (n ≤ 512) such as the covariances of a Fréchet distance.
 *
 * `a` is n×n row-major (Float64Array or any number array); it is symmetrized as (A + Aᵀ)/2 after a
 * check that it is symmetric to 1e-8 relative. Accurate to a few ulps of ‖A‖ (Jacobi is the most
 * accurate symmetric eigensolver). Returns fresh arrays; `a` is not modified.
 */
export function symmetricEig(a: ArrayLike<number>, n: number): SymmetricEig {
  const fn = 'symmetricEig';
  checkSquare(fn, a, n);
  const A = new Float64Array(n * n);
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    const v = a[i] as number;
    if (!Number.isFinite(v)) throw new ValueError(`${fn}: 'a' must be finite, got ${v} at index ${i}`);
    scale = Math.max(scale, Math.abs(v));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const x = a[i * n + j] as number;
      const y = a[j * n + i] as number;
      if (Math.abs(x - y) > 1e-8 * Math.max(scale, 1e-300)) {
        throw new ValueError(`${fn}: 'a' must be symmetric, got a[${i},${j}] = ${x} but a[${j},${i}] = ${y}`);
      }
      A[i * n + j] = A[j * n + i] = 0.5 * (x + y);
    }
  }
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;

  const offNorm2 = (): number => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += A[i * n + j]! ** 2;
    return s;
  };
  let diagNorm2 = 0;
  for (let i = 0; i < n; i++) diagNorm2 += A[i * n + i]! ** 2;
  const total = Math.sqrt(diagNorm2 + 2 * offNorm2());
  let sweeps = 0;
  const eps = Number.EPSILON;
  for (; sweeps < 100; sweeps++) {
    const off = Math.sqrt(offNorm2());
    if (off <= eps * total * 1e-2 || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!;
        const aqq = A[q * n + q]!;
        // Skip elements already negligible next to both diagonal entries.
        if (sweeps > 3 && Math.abs(apq) < eps * 1e-2 * Math.min(Math.abs(app), Math.abs(aqq))) {
          A[p * n + q] = A[q * n + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        const tau = s / (1 + c);
        A[p * n + p] = app - t * apq;
        A[q * n + q] = aqq + t * apq;
        A[p * n + q] = A[q * n + p] = 0;
        for (let r = 0; r < n; r++) {
          if (r !== p && r !== q) {
            const arp = A[r * n + p]!;
            const arq = A[r * n + q]!;
            const np = arp - s * (arq + tau * arp);
            const nq = arq + s * (arp - tau * arq);
            A[r * n + p] = A[p * n + r] = np;
            A[r * n + q] = A[q * n + r] = nq;
          }
          const vrp = V[r * n + p]!;
          const vrq = V[r * n + q]!;
          V[r * n + p] = vrp - s * (vrq + tau * vrp);
          V[r * n + q] = vrq + s * (vrp - tau * vrq);
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i]! - A[j * n + j]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = A[src * n + src]!;
    for (let i = 0; i < n; i++) vectors[i * n + k] = V[i * n + src]!;
  });
  return { values, vectors, sweeps };
}

/**
 * Principal square root of a symmetric positive semi-definite matrix, S = V diag(√λ) Vᵀ with
 * eigenvalues from {@link symmetricEig} (float64, n ≤ 512). Eigenvalues that are negative only by
 * rounding (λ ≥ −tol·max|λ|, tol = 1e-10 by default) are clamped to 0; a clearly negative eigenvalue
 * throws {@link ValueError}. `a` is n×n row-major; returns a fresh n×n row-major Float64Array.
 */
export function sqrtmPsd(a: ArrayLike<number>, n: number, opts: { tol?: number } = {}): Float64Array {
  const fn = 'sqrtmPsd';
  checkSquare(fn, a, n);
  const { values, vectors } = symmetricEig(a, n);
  const tol = opts.tol ?? 1e-10;
  let maxAbs = 0;
  for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
  const root = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const l = values[k]!;
    if (l < -tol * maxAbs) {
      throw new ValueError(`${fn}: 'a' must be positive semi-definite, got eigenvalue ${l} (largest |λ| = ${maxAbs})`);
    }
    root[k] = Math.sqrt(Math.max(l, 0));
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k]! * root[k]! * vectors[j * n + k]!;
      out[i * n + j] = out[j * n + i] = s;
    }
  }
  return out;
}
