// train / sample / eval (in process: no start-up cost): bad input, a 2-D run end to end, and the run-folder contract.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngSize, runHere } from './__tests__/cli-helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'walkjump-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ring = join(tmp, 'ring');

describe('walkjump train/sample/eval on mixture:ring8', () => {
  beforeAll(async () => {
    const r = await runHere([
      'train',
      '--data',
      'mixture:ring8',
      '--steps',
      '150',
      '--lr',
      '3e-3',
      '--out',
      ring,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  it('train writes the run folder and JSON lines', () => {
    for (const f of ['run.json', 'model.json', 'model.safetensors', 'history.json', 'loss.png'])
      expect(existsSync(join(ring, f)), f).toBe(true);
    const model = JSON.parse(readFileSync(join(ring, 'model.json'), 'utf8'));
    expect(model).toMatchObject({
      formatVersion: 1,
      method: 'deen',
      sigma: 0.3,
      M: 1,
      trainedSteps: 150,
      eventShape: [2],
    });
    expect(pngSize(readFileSync(join(ring, 'loss.png'))).width).toBeGreaterThan(500);
  });

  it('sample then eval: PNGs, samples.npy, metrics.json; jumps closer to the data than walks', async () => {
    const s = await runHere([
      'sample',
      '--run',
      ring,
      '--steps',
      '60',
      '--every',
      '10',
      '--chains',
      '300',
      '--init',
      'data',
      '--json',
    ]);
    expect(s.code, s.stderr).toBe(0);
    const lines = s.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ event: 'done', command: 'sample', chains: 300, sampler: 'ula' });
    expect(lines.some((l) => l.event === 'progress')).toBe(true);
    for (const f of ['scatter.png', 'trace.png', 'samples.npy', 'walk.npy', 'sample.json'])
      expect(existsSync(join(ring, f)), f).toBe(true);
    const e = await runHere(['eval', '--run', ring, '--json']);
    expect(e.code, e.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(ring, 'metrics.json'), 'utf8'));
    expect(m.n).toBe(300);
    for (const k of ['slicedWasserstein', 'mmd', 'energyDistance']) expect(Number.isFinite(m[k]), k).toBe(true);
    expect(m.slicedWasserstein).toBeLessThan(1);
    expect(m.sample.essBulk).toHaveLength(2);
  }, 60_000);

  it('sampler and flag errors name the flag', async () => {
    const a = await runHere(['sample', '--run', ring, '--sampler', 'hmc']);
    const b = await runHere(['sample', '--run', ring, '--chains', '1']);
    expect(a.code).toBe(2);
    expect(a.stderr.trim()).toBe('walkjump: --sampler must be one of ula, mala, cheng, sachs, got "hmc"');
    expect(b.stderr.trim()).toBe('walkjump: --chains must be an integer ≥ 2, got 1');
  }, 60_000);
});

describe('bad input: one clear line, non-zero exit, no output folder', () => {
  const nan = join(tmp, 'nan.csv');
  const words = join(tmp, 'words.csv');
  writeFileSync(nan, 'a,b\n0,1\nNaN,2\n3,4\n');
  writeFileSync(words, '0,1\n2,3\n4,x\n');
  const newer = join(tmp, 'newer');
  mkdirSync(newer);
  writeFileSync(
    join(newer, 'model.json'),
    JSON.stringify({ formatVersion: 7, kind: 'energy', method: 'deen', net: { kind: 'mlp' } }),
  );
  const cases: Array<[string, string[], RegExp, number]> = [
    [
      'unknown data',
      ['train', '--data', 'cifar'],
      /^walkjump: --data must be one of mnist, binarized-mnist, .*got "cifar"$/,
      2,
    ],
    [
      'unknown method',
      ['train', '--data', 'mixture:ring8', '--method', 'vae'],
      /^walkjump: --method must be one of deen, multimeasurement, mdae, dual, cebm, got "vae"$/,
      2,
    ],
    [
      'non-numeric sigma',
      ['train', '--data', 'mixture:ring8', '--sigma', 'big'],
      /^walkjump: --sigma must be a positive number, got big$/,
      2,
    ],
    [
      'non-numeric steps',
      ['train', '--data', 'mixture:ring8', '--steps', '1e3x'],
      /^walkjump: --steps must be a positive integer, got 1e3x$/,
      2,
    ],
    ['M for deen', ['train', '--data', 'mixture:ring8', '--M', '3'], /^walkjump: --M must be 1 for --method deen/, 2],
    [
      'bad net',
      ['train', '--data', 'mixture:ring8', '--net', 'transformer'],
      /^walkjump: --net must be mlp, conv, mlp:<width>x<width>… or conv:<channels>x…/,
      2,
    ],
    [
      'cebm off a manifold',
      ['train', '--data', 'mixture:ring8', '--method', 'cebm'],
      /^walkjump: --method cebm \(a constrained EBM\) needs manifold data/,
      2,
    ],
    [
      'missing file',
      ['train', '--data', join(tmp, 'missing.csv')],
      /^walkjump: --data file ".*missing\.csv" does not exist$/,
      1,
    ],
    [
      'NaN in data',
      ['train', '--data', nan],
      /^walkjump: --data nan\.csv holds a non-finite value \(NaN\) at sample 1, feature 0$/,
      1,
    ],
    ['words in data', ['train', '--data', words], /^walkjump: words\.csv: line 3, column 2 is not a number: "x"$/, 1],
    ['missing --data', ['train'], /^walkjump: required option '--data <spec>' not specified$/, 2],
    [
      'newer run folder',
      ['sample', '--run', newer],
      /^walkjump: .*model\.json was written by a newer walkjump \(run-folder format 7; this version reads up to 1\): upgrade walkjump$/,
      1,
    ],
    [
      'no run folder',
      ['sample', '--run', join(tmp, 'nothing')],
      /^walkjump: no model in ".*nothing": model\.json is missing/,
      1,
    ],
    [
      'eval unknown metric',
      ['eval', '--run', newer, '--metrics', 'fid'],
      /^walkjump: --metrics must be one of slicedWasserstein, mmd, energyDistance, classes, got "fid"$/,
      2,
    ],
  ];
  it.each(cases)('%s', async (name, args, line, code) => {
    const out = join(tmp, `out-${name.replace(/\W+/g, '-')}`);
    const r = await runHere([...args, ...(args[0] === 'train' ? ['--out', out] : [])]);
    expect(r.code, r.stderr).toBe(code);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(r.stdout).toBe('');
    expect(existsSync(out), 'no partial output').toBe(false);
  });

  it('eval before sample says what to run', async () => {
    const dir = join(tmp, 'nosamples');
    const t = await runHere(['train', '--data', 'mixture:ring8', '--steps', '5', '--out', dir, '-q']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe('');
    const r = await runHere(['eval', '--run', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`walkjump: no samples in ${dir}: run \`walkjump sample --run ${dir}\` first`);
    expect(existsSync(join(dir, 'metrics.json'))).toBe(false);
  }, 60_000);
});

describe('train: Ctrl-C writes a checkpoint, --resume continues', () => {
  it('interrupts at a step boundary and resumes to the end', async () => {
    const dir = join(tmp, 'interrupted');
    const args = ['train', '--data', 'mixture:ring8', '--steps', '300', '--checkpoint-every', '10', '--out', dir];
    const manifest = join(dir, 'checkpoints', 'checkpoint.json');
    const poll = setInterval(() => {
      if (existsSync(manifest)) {
        clearInterval(poll);
        process.emit('SIGINT');
      }
    }, 5);
    const r = await runHere([...args, '-q']);
    clearInterval(poll);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(
      /interrupted at step (\d+); checkpoint saved in .*checkpoints — rerun with --resume to continue/,
    );
    expect(existsSync(join(dir, 'model.json'))).toBe(false);
    const step = JSON.parse(readFileSync(manifest, 'utf8')).step as number;
    expect(step).toBeGreaterThanOrEqual(10);
    expect(step).toBeLessThan(300);
    const again = await runHere([...args, '--resume', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).trainedSteps).toBe(300);
    const mismatch = await runHere([...args, '--resume', '--sigma', '0.5']);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr.trim()).toBe('walkjump: --resume: sigma is 0.5 but the run in ' + dir + ' used 0.3');
  }, 60_000);
});
