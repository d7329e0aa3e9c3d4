// Exact optimal transport between two discrete measures by the primal network simplex method.
// Written from the algorithm's description: Ahuja, Magnanti & Orlin, "Network Flows" (1993), ch. 11;
// Kelly & O'Neill (1991) / LEMON's NetworkSimplex design (strongly feasible trees, block-search pivoting)
// as used by Bonneel, van de Panne, Paris & Heidrich (2011) and POT's `ot.emd`. All float64.
import { ValueError, WalkJumpError } from '@walkjump/tensor';

/** Result of {@link emd}: optimal cost, the sparse optimal plan, and solver statistics. */
export interface EmdResult {
  /** Σ_ij P_ij C_ij at the optimum. */
  readonly cost: number;
  /** Sparse optimal plan: triplets (rows[k], cols[k], mass[k]) with mass > 0 (at most n + m − 1 of them). */
  readonly plan: { readonly rows: Int32Array; readonly cols: Int32Array; readonly mass: Float64Array };
  /** Number of simplex pivots. */
  readonly iterations: number;
  /** False when `maxIterations` stopped the solver before optimality (the plan is feasible, not optimal). */
  readonly converged: boolean;
}

/** Options of {@link emd}. */
export interface EmdOptions {
  /** Pivot limit (default 10 000 000). */
  readonly maxIterations?: number;
}

/**
 * Exact earth mover's distance (the Kantorovich linear program) between weights `a` (length n) and `b`
 * (length m) of equal total mass (1 for probability weights), with a dense row-major cost matrix `C` [n, m] — by the primal network simplex
 * on the bipartite transportation graph with an artificial root (big-M start, ART = (max C + 1)·(n + m)),
 * block-search Dantzig pricing (block ≈ √(nm)) and the strongly-feasible-tree leaving-arc rule, which excludes
 * cycling. Computed entirely in float64 JavaScript arrays; the tree is stored as parent/child/sibling links with
 * node potentials. Zero-weight points are dropped before solving.
 */
export function emd(a: Float64Array, b: Float64Array, C: Float64Array, opts: EmdOptions = {}): EmdResult {
  const fn = 'emd';
  const n0 = a.length;
  const m0 = b.length;
  if (C.length !== n0 * m0) throw new ValueError(`${fn}: 'C' must have n * m = ${n0 * m0} entries, got ${C.length}`);
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n0; i++) {
    const v = a[i] as number;
    if (!(v >= 0) || !Number.isFinite(v))
      throw new ValueError(`${fn}: 'a' must be finite and non-negative, entry ${i} is ${v}`);
    sa += v;
  }
  for (let j = 0; j < m0; j++) {
    const v = b[j] as number;
    if (!(v >= 0) || !Number.isFinite(v))
      throw new ValueError(`${fn}: 'b' must be finite and non-negative, entry ${j} is ${v}`);
    sb += v;
  }
  if (!(Math.abs(sa - sb) <= 1e-9 * Math.max(sa, sb))) {
    throw new ValueError(`${fn}: 'a' and 'b' must have equal total mass, got ${sa} and ${sb}`);
  }
  for (let e = 0; e < C.length; e++) {
    if (!Number.isFinite(C[e] as number)) throw new ValueError(`${fn}: 'C' must be finite, entry ${e} is ${C[e]}`);
  }
  const maxIterations = opts.maxIterations ?? 10_000_000;
  // Keep only points with positive mass.
  const rowIdx: number[] = [];
  const colIdx: number[] = [];
  for (let i = 0; i < n0; i++) if ((a[i] as number) > 0) rowIdx.push(i);
  for (let j = 0; j < m0; j++) if ((b[j] as number) > 0) colIdx.push(j);
  const nS = rowIdx.length;
  const nD = colIdx.length;
  if (nS === 0 || nD === 0) throw new ValueError(`${fn}: both weight vectors need positive mass`);
  const E = nS * nD;
  let cost: Float64Array;
  if (nS === n0 && nD === m0) cost = C;
  else {
    cost = new Float64Array(E);
    for (let i = 0; i < nS; i++) {
      const ri = (rowIdx[i] as number) * m0;
      for (let j = 0; j < nD; j++) cost[i * nD + j] = C[ri + (colIdx[j] as number)] as number;
    }
  }
  let maxC = 0;
  for (let e = 0; e < E; e++) {
    const c = Math.abs(cost[e] as number);
    if (c > maxC) maxC = c;
  }
  const N = nS + nD; // real nodes; root = N
  const root = N;
  const ART = (maxC + 1) * (N + 1);
  // Tolerance on reduced costs: round-off in potentials is ~ eps · ART.
  const tol = 64 * Number.EPSILON * ART;

  const parent = new Int32Array(N + 1).fill(-1);
  const pred = new Int32Array(N + 1).fill(-1);
  const dir = new Int8Array(N + 1); // +1: pred arc goes node → parent; −1: parent → node
  const flow = new Float64Array(N + 1); // flow on pred arc
  const pi = new Float64Array(N + 1);
  const depth = new Int32Array(N + 1);
  const firstChild = new Int32Array(N + 1).fill(-1);
  const nextSib = new Int32Array(N + 1).fill(-1);
  const prevSib = new Int32Array(N + 1).fill(-1);
  const inTree = new Uint8Array(E);

  const addChild = (p: number, u: number): void => {
    parent[u] = p;
    prevSib[u] = -1;
    const f = firstChild[p] as number;
    nextSib[u] = f;
    if (f >= 0) prevSib[f] = u;
    firstChild[p] = u;
  };
  const removeChild = (u: number): void => {
    const p = parent[u] as number;
    const pv = prevSib[u] as number;
    const nx = nextSib[u] as number;
    if (pv >= 0) nextSib[pv] = nx;
    else firstChild[p] = nx;
    if (nx >= 0) prevSib[nx] = pv;
  };
  // Cost of the pred arc of node x (artificial arcs: supply → root costs 0, root → demand costs ART).
  const predCost = (x: number): number => {
    const e = pred[x] as number;
    if (e < E) return cost[e] as number;
    return dir[x] === 1 ? 0 : ART;
  };

  // Initial strongly feasible tree: every node hangs from the root by its artificial arc.
  for (let u = 0; u < N; u++) {
    addChild(root, u);
    pred[u] = E + u;
    depth[u] = 1;
    if (u < nS) {
      dir[u] = 1;
      flow[u] = a[rowIdx[u] as number] as number;
      pi[u] = 0;
    } else {
      dir[u] = -1;
      flow[u] = b[colIdx[u - nS] as number] as number;
      pi[u] = ART;
    }
  }

  const recomputePotentials = (): void => {
    pi[root] = 0;
    depth[root] = 0;
    let c = firstChild[root] as number;
    while (c !== -1) {
      const p = parent[c] as number;
      pi[c] = (pi[p] as number) - (dir[c] as number) * predCost(c);
      depth[c] = (depth[p] as number) + 1;
      const fc = firstChild[c] as number;
      if (fc !== -1) {
        c = fc;
        continue;
      }
      while (c !== root && nextSib[c] === -1) c = parent[c] as number;
      if (c === root) break;
      c = nextSib[c] as number;
    }
  };

  const block = Math.max(Math.min(E, 10), Math.ceil(Math.sqrt(E)));
  let nextArc = 0;
  let iterations = 0;
  let converged = false;
  let pathBuf = new Int32Array(64);
  const recomputeEvery = Math.max(1000, N);

  for (;;) {
    // --- pricing: block search for the most negative reduced cost c_ij + π_i − π_j
    let minRc = -tol;
    let inArc = -1;
    let e = nextArc;
    let i = Math.floor(e / nD);
    let j = e - i * nD;
    let piI = pi[i] as number;
    let cnt = 0;
    for (let k = 0; k < E; k++) {
      if (inTree[e] === 0) {
        const rc = (cost[e] as number) + piI - (pi[nS + j] as number);
        if (rc < minRc) {
          minRc = rc;
          inArc = e;
        }
      }
      e++;
      j++;
      if (j === nD) {
        j = 0;
        i++;
        if (i === nS) {
          i = 0;
          e = 0;
        }
        piI = pi[i] as number;
      }
      if (++cnt === block) {
        if (inArc >= 0) break;
        cnt = 0;
      }
    }
    nextArc = e;
    if (inArc < 0) {
      // Optimal up to round-off: refresh potentials exactly and confirm once.
      recomputePotentials();
      let again = false;
      for (let ii = 0; ii < nS && !again; ii++) {
        const p = pi[ii] as number;
        const off = ii * nD;
        for (let jj = 0; jj < nD; jj++) {
          if (inTree[off + jj] === 0 && (cost[off + jj] as number) + p - (pi[nS + jj] as number) < -tol) {
            again = true;
            break;
          }
        }
      }
      if (!again) {
        converged = true;
        break;
      }
      continue;
    }
    if (iterations >= maxIterations) break;
    iterations++;

    const s = Math.floor(inArc / nD);
    const t = nS + (inArc - s * nD);
    // --- join node (deepest common ancestor)
    let u = s;
    let v = t;
    while (u !== v) {
      if ((depth[u] as number) >= (depth[v] as number)) u = parent[u] as number;
      else v = parent[v] as number;
    }
    const join = u;
    // --- leaving arc: last blocking arc along the cycle's orientation (strongly feasible rule)
    let delta = Number.POSITIVE_INFINITY;
    let uOut = -1;
    let result = 0;
    for (let x = s; x !== join; x = parent[x] as number) {
      if (dir[x] === 1 && (flow[x] as number) < delta) {
        delta = flow[x] as number;
        uOut = x;
        result = 1;
      }
    }
    for (let x = t; x !== join; x = parent[x] as number) {
      if (dir[x] === -1 && (flow[x] as number) <= delta) {
        delta = flow[x] as number;
        uOut = x;
        result = 2;
      }
    }
    if (result === 0) throw new WalkJumpError(`${fn}: unbounded pivot (internal error)`);
    const uIn = result === 1 ? s : t;
    const vIn = result === 1 ? t : s;
    // --- push delta around the cycle
    if (delta > 0) {
      for (let x = s; x !== join; x = parent[x] as number) flow[x] = (flow[x] as number) - (dir[x] as number) * delta;
      for (let x = t; x !== join; x = parent[x] as number) flow[x] = (flow[x] as number) + (dir[x] as number) * delta;
    }
    // --- re-hang the subtree below the leaving arc from vIn, reversing the path uIn … uOut
    const leaving = pred[uOut] as number;
    let k = 0;
    for (let x = uIn; ; x = parent[x] as number) {
      if (k === pathBuf.length) {
        const nb = new Int32Array(pathBuf.length * 2);
        nb.set(pathBuf);
        pathBuf = nb;
      }
      pathBuf[k++] = x;
      if (x === uOut) break;
    }
    for (let q = k - 1; q >= 0; q--) removeChild(pathBuf[q] as number);
    for (let q = k - 1; q >= 1; q--) {
      const child = pathBuf[q - 1] as number;
      const up = pathBuf[q] as number; // becomes child of `child`
      pred[up] = pred[child] as number;
      dir[up] = -(dir[child] as number);
      flow[up] = flow[child] as number;
      addChild(child, up);
    }
    addChild(vIn, uIn);
    pred[uIn] = inArc;
    dir[uIn] = uIn === s ? 1 : -1;
    flow[uIn] = delta;
    inTree[inArc] = 1;
    if (leaving < E) inTree[leaving] = 0;
    // --- potentials and depths of the moved subtree
    if (iterations % recomputeEvery === 0) {
      recomputePotentials();
    } else {
      const sigma = (pi[vIn] as number) - (pi[uIn] as number) - (dir[uIn] as number) * (cost[inArc] as number);
      pi[uIn] = (pi[uIn] as number) + sigma;
      depth[uIn] = (depth[vIn] as number) + 1;
      let c = firstChild[uIn] as number;
      while (c !== -1) {
        pi[c] = (pi[c] as number) + sigma;
        depth[c] = (depth[parent[c] as number] as number) + 1;
        const fc = firstChild[c] as number;
        if (fc !== -1) {
          c = fc;
          continue;
        }
        while (c !== uIn && nextSib[c] === -1) c = parent[c] as number;
        if (c === uIn) break;
        c = nextSib[c] as number;
      }
    }
  }

  // --- read the plan off the tree
  const rows: number[] = [];
  const cols: number[] = [];
  const mass: number[] = [];
  let total = 0;
  for (let x = 0; x < N; x++) {
    const e = pred[x] as number;
    const f = flow[x] as number;
    if (e < E && f > 0) {
      const ii = Math.floor(e / nD);
      const jj = e - ii * nD;
      rows.push(rowIdx[ii] as number);
      cols.push(colIdx[jj] as number);
      mass.push(f);
      total += f * (cost[e] as number);
    }
  }
  return {
    cost: total,
    plan: { rows: Int32Array.from(rows), cols: Int32Array.from(cols), mass: Float64Array.from(mass) },
    iterations,
    converged,
  };
}
