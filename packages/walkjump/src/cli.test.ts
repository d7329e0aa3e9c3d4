// Spawns the CLI from source (the shared helpers in __tests__/cli-helpers.ts) so that signals reach it.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, run, start } from './__tests__/cli-helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'walkjump-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function waitFor(path: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!existsSync(path)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${path}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const SMALL = ['--chains', '200', '--walk-steps', '40'];

describe('walkjump CLI: bad input gives one clear line and a non-zero exit', () => {
  const notAFolder = join(tmp, 'a-file');
  writeFileSync(notAFolder, 'x');
  const cases: Array<[string, string[], RegExp]> = [
    ['negative steps', ['demo', '--steps', '-1'], /^walkjump: --steps must be a positive integer, got -1$/],
    ['non-numeric sigma', ['demo', '--sigma', 'abc'], /^walkjump: --sigma must be a positive number, got abc$/],
    [
      'unknown backend',
      ['demo', '--backend', 'foo'],
      /^walkjump: --backend must be one of auto, wasm, cpu, node, node-gpu, got "foo"$/,
    ],
    [
      'unwritable /proc/x',
      ['demo', '--out', '/proc/x'],
      /^walkjump: cannot write to the --out folder "\/proc\/x" \(E[A-Z]+\)$/,
    ],
    [
      'out under a file',
      ['demo', '--out', join(notAFolder, 'run')],
      /^walkjump: cannot write to the --out folder .* \(ENOTDIR\)$/,
    ],
    ['unknown flag', ['demo', '--bogus'], /^walkjump: unknown option '--bogus'$/],
    ['unknown command', ['demon'], /^walkjump: unknown command 'demon'$/],
  ];
  it.concurrent.each(cases)('%s', async (_name, args, line) => {
    const r = await run(args);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(r.stdout).toBe('');
  });

  it('shows the stack with WALKJUMP_DEBUG=1', async () => {
    const r = await run(['demo', '--steps', '0'], { WALKJUMP_DEBUG: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('walkjump: --steps must be a positive integer, got 0');
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('prints --version and --help', async () => {
    const [v, h] = await Promise.all([run(['--version']), run(['--help'])]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/walkjump/package.json'), 'utf8')) as { version: string };
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/demo/);
    expect(h.stdout).toMatch(/info/);
  });
});

describe('walkjump demo', () => {
  it('writes the run folder: config, samples, metrics and a PNG plot', async () => {
    const out = join(tmp, 'short');
    const r = await run(['demo', '--out', out, '--steps', '60', ...SMALL, '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['config.json', 'samples.csv', 'metrics.json', 'plot.png'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const printed = JSON.parse(r.stdout) as { step: number; metrics: { trainedSteps: number } };
    expect(printed.step).toBe(60);

    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.trainedSteps).toBe(60);
    expect(m.samples).toBe(200);
    expect(m.backend.name).toBe('wasm');
    for (const kind of ['jump', 'walk', 'noisyData', 'dataFloor']) {
      expect(Number.isFinite(m[kind].slicedWasserstein), kind).toBe(true);
      expect(m[kind].slicedWasserstein, kind).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(m[kind].mmd), kind).toBe(true);
    }
    // Noise of std σ = 0.3 moves the walk samples away from the data by far more than the sampling floor.
    expect(m.walk.slicedWasserstein).toBeGreaterThan(2 * m.dataFloor.slicedWasserstein);
    expect(m.config.sigma).toBe(0.3);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).steps).toBe(60);

    const csv = readFileSync(join(out, 'samples.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('kind,x,y,chain,step');
    // 40 walk steps recorded at step 40 only (every = min(50, 40)): 200 walk + 200 jump rows.
    expect(csv).toHaveLength(1 + 2 * 200);
    const kinds = new Set(csv.slice(1).map((l) => l.split(',')[0]));
    expect([...kinds].sort()).toEqual(['jump', 'walk']);

    const png = readFileSync(join(out, 'plot.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBeGreaterThan(1000);
    expect(height).toBeGreaterThan(400);
    expect(png.length).toBeGreaterThan(30_000);
    expect(png.length).toBeLessThan(5_000_000);
  });

  it('resumes from the last checkpoint after being killed mid-training', async () => {
    const out = join(tmp, 'killed');
    const manifest = join(out, 'checkpoints', 'checkpoint.json');
    const { child, done } = start(['demo', '--out', out, '--steps', '300', '--checkpoint-every', '20', ...SMALL, '-q']);
    await waitFor(manifest, 60_000);
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    const step = (JSON.parse(readFileSync(manifest, 'utf8')) as { step: number }).step;
    expect(step).toBeGreaterThanOrEqual(20);
    expect(step).toBeLessThan(300);

    const r = await run(['demo', '--out', out, '--steps', '300', '--checkpoint-every', '20', ...SMALL, '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`resumed from step ${step}`);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.trainedSteps).toBe(300);
    expect(m.resumedFrom).toBe(step);
  });

  it('on SIGINT finishes the step, writes a checkpoint and says how to resume', async () => {
    const out = join(tmp, 'interrupted');
    const manifest = join(out, 'checkpoints', 'checkpoint.json');
    const { child, done } = start(['demo', '--out', out, '--steps', '100000', '--checkpoint-every', '20', ...SMALL]);
    await waitFor(manifest, 60_000);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted at step (\d+); checkpoint saved in .* rerun with --resume/);
    const printed = Number(/interrupted at step (\d+)/.exec(r.stderr)?.[1]);
    expect((JSON.parse(readFileSync(manifest, 'utf8')) as { step: number }).step).toBe(printed);
  });
});
