// The docs' examples (docs/examples/*.ts) run as a reader would run them, with tsx and the examples'
// tsconfig (workspace packages resolved to their sources), and print what the pages say they print.
// The two that train a network (deen-walk-jump, quick-start: 10–15 s each) are type-checked only.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function runExample(name: string): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(
      'pnpm',
      ['-s', 'exec', 'tsx', '--tsconfig', 'docs/examples/tsconfig.json', join('docs/examples', `${name}.ts`)],
      { cwd: root, env: { ...process.env, WALKJUMP_BACKEND: 'wasm' } },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`${name} exited with ${code}:\n${out}`))));
  });
}

describe('docs/examples', () => {
  it('kde-tweedie: autodiff through the KDE energy equals the closed-form posterior mean', async () => {
    const out = await runExample('kde-tweedie');
    const m = /noisy ([\d.]+), Tweedie ([\d.]+); autodiff vs closed form: ([\d.e+-]+)/.exec(out);
    expect(m, out).not.toBeNull();
    const [noisy, denoised, agree] = (m as RegExpExecArray).slice(1).map(Number) as [number, number, number];
    expect(denoised).toBeLessThan(noisy);
    expect(agree).toBeLessThan(1e-4);
  });

  it('sphere-hmc: the vMF mean matches coth κ − 1/κ', async () => {
    const out = await runExample('sphere-hmc');
    const m = /acceptance ([\d.]+); E\[z\] ≈ ([\d.-]+) \(exact ([\d.]+)\)/.exec(out);
    expect(m, out).not.toBeNull();
    const [acc, est, exact] = (m as RegExpExecArray).slice(1).map(Number) as [number, number, number];
    expect(acc).toBeGreaterThan(0.8);
    // 64 chains × 200 kept steps, autocorrelated: a loose Monte Carlo tolerance.
    expect(Math.abs(est - exact)).toBeLessThan(0.05);
  });

  it('binary-flips: the Bayes denoiser lowers the spin error', async () => {
    const out = await runExample('binary-flips');
    const m = /spin error: noisy ([\d.]+), denoised ([\d.]+)/.exec(out);
    expect(m, out).not.toBeNull();
    const [noisy, denoised] = (m as RegExpExecArray).slice(1).map(Number) as [number, number];
    expect(noisy).toBeGreaterThan(0.12);
    expect(denoised).toBeLessThan(noisy - 0.03);
  });
});
