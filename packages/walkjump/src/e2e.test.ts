// The newcomer flow, end to end with the real `walkjump` command (spawned from source):
// demo → train on MNIST (../shared/data beside the repository, found by the CLI itself) for a short
// budget → sample → eval → PNGs and metrics.json exist and are sane; the class histogram of the
// σ = 0.3 model's jump samples under the MNIST classifier of @walkjump/nets covers ≥ 8 classes.
//
// Budget: DEEN with an MLP energy 784→256→256→1 (swish) at σ = 0.3, 300 Adam steps (lr 3e-3, batch
// 128); 100 chains started from noisy training digits y₀ = x + σε (init data), 10 ULA steps, jumps
// by Tweedie every 5 steps. A few hundred steps learn a denoiser far from converged, so chains
// started from noise would not yet look like digits; started from noisy data they do.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpy } from './internal/npy.ts';
import { pngSize, run, SHARED_DATA } from './__tests__/cli-helpers.ts';

const HAVE_MNIST = existsSync(join(SHARED_DATA, 'mnist', 'train-images-idx3-ubyte.gz'));
const tmp = mkdtempSync(join(tmpdir(), 'walkjump-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!HAVE_MNIST)('newcomer flow: demo → train mnist → sample → eval', () => {
  it('runs, and the σ = 0.3 model covers ≥ 8 classes', async () => {
    const times: Record<string, number> = {};
    const demo = join(tmp, 'demo');
    const d = await run(['demo', '--out', demo, '--steps', '100', '--chains', '200', '--walk-steps', '40', '-q']);
    expect(d.code, d.stderr).toBe(0);
    times.demo = d.ms;
    for (const f of ['metrics.json', 'plot.png', 'samples.csv']) expect(existsSync(join(demo, f)), f).toBe(true);

    const out = join(tmp, 'mnist');
    const t = await run([
      'train',
      '--data',
      'mnist',
      '--sigma',
      '0.3',
      '--steps',
      '300',
      '--lr',
      '3e-3',
      '--out',
      out,
      '-q',
    ]);
    expect(t.code, t.stderr).toBe(0);
    times.train = t.ms;
    const history = (JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { history: { loss: number }[] })
      .history;
    const mean = (a: { loss: number }[]): number => a.reduce((s, h) => s + h.loss, 0) / a.length;
    // The DEEN loss starts near E‖x − y‖² = 784σ² = 70.6 (a flat energy) and must drop well below it.
    expect(mean(history.slice(-50))).toBeLessThan(0.85 * mean(history.slice(0, 10)));
    expect(pngSize(readFileSync(join(out, 'loss.png'))).width).toBeGreaterThan(500);

    const s = await run([
      'sample',
      '--run',
      out,
      '--chains',
      '100',
      '--steps',
      '10',
      '--every',
      '5',
      '--init',
      'data',
      '-q',
    ]);
    expect(s.code, s.stderr).toBe(0);
    times.sample = s.ms;
    const samples = decodeNpy(readFileSync(join(out, 'samples.npy')), 'samples.npy');
    expect(samples.shape).toEqual([100, 784]);
    expect(samples.data.every(Number.isFinite)).toBe(true);
    const grid = pngSize(readFileSync(join(out, 'samples.png')));
    expect(grid).toEqual({ width: 8 * 58 + 2, height: 8 * 58 + 2 }); // 8×8 digits at 2× with 2-px borders
    expect(pngSize(readFileSync(join(out, 'chains.png'))).height).toBe(8 * 58 + 2);
    expect(existsSync(join(out, 'trace.png'))).toBe(true);

    const e = await run(['eval', '--run', out, '--json']);
    expect(e.code, e.stderr).toBe(0);
    times.eval = e.ms;
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.n).toBe(100);
    expect(m.classHistogram.reduce((a: number, b: number) => a + b, 0)).toBe(100);
    expect(m.classesCovered).toBeGreaterThanOrEqual(8);
    for (const k of ['slicedWasserstein', 'mmd', 'energyDistance']) expect(Number.isFinite(m[k]), k).toBe(true);
    expect(m.slicedWasserstein).toBeGreaterThan(m.dataFloor.slicedWasserstein);
    console.log(
      `e2e: ${JSON.stringify({ times, finalLoss: mean(history.slice(-50)), classes: m.classHistogram, sw: m.slicedWasserstein })}`,
    );
  }, 480_000);
});
