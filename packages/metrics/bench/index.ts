// Benchmarks of @walkjump/metrics against the reference implementations (POT, NumPy, SciPy) run on the same data
// by /usr/bin/python3 (tooling/reference/metrics_bench.py) in the same process tree. Run:
//   pnpm --filter @walkjump/metrics bench
// Without a Python that has numpy/scipy/POT the reference columns are skipped with a note.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { essBulk, frechetDistance, medianHeuristic, mmd, wasserstein1 } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '..', '..', '..', 'tooling', 'reference', 'metrics_bench.py');
const python = process.env.WALKJUMP_PYTHON ?? '/usr/bin/python3';
const work = mkdtempSync(join(tmpdir(), 'metrics-bench-'));

/** Deterministic float64 normals (xorshift + Box–Muller) so the bench needs no tensors. */
function normals(seed: number, n: number): Float64Array {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

let pythonOk = true;
let pythonNote = '';
try {
  execFileSync(python, ['-c', 'import numpy, scipy, ot'], { stdio: 'pipe' });
} catch (e) {
  pythonOk = false;
  pythonNote = `reference skipped: ${python} with numpy/scipy/POT not available (${(e as Error).message.split('\n')[0]})`;
}

function reference(
  task: string,
  data: Float64Array[],
  args: (string | number)[],
): { seconds: number; value: number } | null {
  if (!pythonOk) return null;
  const file = join(work, `${task}.f64`);
  const total = data.reduce((s, d) => s + d.length, 0);
  const buf = new Float64Array(total);
  let off = 0;
  for (const d of data) {
    buf.set(d, off);
    off += d.length;
  }
  writeFileSync(file, Buffer.from(buf.buffer));
  const out = execFileSync(python, [script, task, file, ...args.map(String)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

function time<T>(fn: () => T): { seconds: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

const rows: string[][] = [['benchmark', 'walkjump (s)', 'reference (s)', 'ratio', 'rel. diff', 'reference']];
function report(
  name: string,
  ours: { seconds: number; value: number },
  ref: { seconds: number; value: number } | null,
  refName: string,
): void {
  rows.push([
    name,
    ours.seconds.toFixed(3),
    ref ? ref.seconds.toFixed(3) : '—',
    ref ? (ours.seconds / ref.seconds).toFixed(2) : '—',
    ref ? (Math.abs(ours.value - ref.value) / Math.max(Math.abs(ref.value), 1e-300)).toExponential(1) : '—',
    refName,
  ]);
  console.error(`done: ${name}`);
}

// Every walkjump timing follows a small warm-up call, so it measures V8's optimized code, not its interpreter.
{
  const w = normals(1, 400);
  wasserstein1({ data: w, n: 200, d: 2 }, { data: w.map((v) => v + 0.1), n: 200, d: 2 });
  mmd({ data: w, n: 200, d: 2 }, { data: w.map((v) => v * 1.1), n: 200, d: 2 }, { bandwidth: 1 });
  frechetDistance({ data: w, n: 100, d: 4 }, { data: w.map((v) => v + 0.1), n: 100, d: 4 });
  essBulk([w.subarray(0, 200), w.subarray(200)]);
}

// W1 by network simplex vs POT ot.emd2 (2-D standard normal vs shifted normal, uniform weights)
for (const n of [500, 1000, 2000]) {
  const x = normals(n, 2 * n);
  const y = normals(n + 1, 2 * n).map((v) => v + 0.5);
  const ours = time(() => wasserstein1({ data: x, n, d: 2 }, { data: y, n, d: 2 }));
  report(`W1 exact, n = m = ${n}, d = 2`, ours, reference('w1', [x, y], [n, 2]), 'POT ot.emd2');
}

// MMD² RBF (median-heuristic bandwidth) 10 000 × 10 000 in 2-D vs blocked NumPy
{
  const n = 10_000;
  const x = normals(7, 2 * n);
  const y = normals(8, 2 * n).map((v) => v * 1.1);
  const X = { data: x, n, d: 2 };
  const Y = { data: y, n, d: 2 };
  const h = medianHeuristic(X, Y);
  const ours = time(() => mmd(X, Y, { bandwidth: h }));
  report(
    'MMD² RBF unbiased, 10 000 × 10 000, d = 2',
    ours,
    reference('mmd', [x, y], [n, 2, h]),
    'NumPy cdist, blocks of 1000',
  );
}

// FID on 10 000 × 64 features vs NumPy cov + scipy.linalg.sqrtm
{
  const n = 10_000;
  const k = 64;
  const a = normals(9, n * k);
  const b = normals(10, n * k).map((v, i) => v * (1 + 0.01 * (i % k)) + 0.05);
  const ours = time(() => frechetDistance({ data: a, n, d: k }, { data: b, n, d: k }));
  report('Fréchet distance, 10 000 × 64 features', ours, reference('fid', [a, b], [n, k]), 'NumPy cov + SciPy sqrtm');
}

// Bulk ESS of 10⁶ draws (4 AR(1) chains × 250 000, ρ = 0.9) vs the NumPy port of ArviZ
{
  const chains = 4;
  const n = 250_000;
  const e = normals(11, chains * n);
  const draws = new Float64Array(chains * n);
  for (let c = 0; c < chains; c++) {
    let v = 0;
    for (let t = 0; t < n; t++) {
      v = 0.9 * v + (e[c * n + t] as number);
      draws[c * n + t] = v;
    }
  }
  const rowsOf = Array.from({ length: chains }, (_, c) => draws.subarray(c * n, (c + 1) * n));
  const ours = time(() => essBulk(rowsOf));
  report('bulk ESS, 4 × 250 000 draws', ours, reference('ess', [draws], [chains]), 'NumPy port of ArviZ ess_bulk');
}

rmSync(work, { recursive: true, force: true });
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c] as number)).join('  '));
if (!pythonOk) console.log(`\nnote: ${pythonNote}`);
console.log(
  '\nratio = walkjump time / reference time (lower is better); rel. diff = |walkjump − reference| / |reference|.',
);
