// walkJumpAsync and `walkjump sample`: interrupted-then-resumed runs equal uninterrupted ones bit for bit.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../__tests__/cli-helpers.ts';
import { datasets, fitEnergy, type SamplerName, walkJump, walkJumpAsync } from '../index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'walkjump-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length &&
  Buffer.compare(Buffer.from(new Float32Array(a).buffer), Buffer.from(new Float32Array(b).buffer)) === 0;

describe('walkJumpAsync: abort, checkpoint, resume', () => {
  it('resumed runs equal the uninterrupted (sync) run bit for bit, for mala and sachs; no tensor leaks', async () => {
    const before = tf.memory().numTensors;
    const { model } = await fitEnergy({ data: datasets.ring8(), steps: 30, batchSize: 64 });
    try {
      for (const sampler of ['mala', 'sachs'] as SamplerName[]) {
        const opts = { model, sampler, chains: 16, steps: 60, every: 10, seed: 3 };
        const ref = walkJump(opts);
        const plain = await walkJumpAsync(opts);
        expect(plain.status).toBe('completed');
        expect(same(plain.jump.data, ref.jump.data) && same(plain.walk.data, ref.walk.data)).toBe(true);
        expect(plain.acceptance).toBe(ref.acceptance);
        // Abort at a recorded step (20) and between recordings (step 33, via onProgress with yieldMs 0).
        for (const at of [20, 33]) {
          const dir = join(tmp, `${sampler}-${at}`);
          const c = new AbortController();
          const cut = await walkJumpAsync({
            ...opts,
            checkpoint: dir,
            signal: c.signal,
            yieldMs: 0,
            onProgress: (e) => {
              if (e.step === at) c.abort();
            },
          });
          expect(cut.status).toBe('interrupted');
          expect(cut.step).toBe(at);
          expect(cut.checkpoint).toBe(dir);
          expect(cut.trace.steps).toEqual([10, 20, 30].filter((s) => s <= at));
          const seen: number[] = [];
          const res = await walkJumpAsync({
            ...opts,
            checkpoint: dir,
            resume: true,
            onSample: (e) => seen.push(e.step),
          });
          expect(res.status).toBe('completed');
          expect(res.resumedFrom).toBe(at);
          expect(seen).toEqual([10, 20, 30, 40, 50, 60].filter((s) => s > at));
          expect(res.trace.steps).toEqual(ref.trace.steps);
          expect(same(res.jump.data, ref.jump.data), `${sampler} jump`).toBe(true);
          expect(same(res.walk.data, ref.walk.data), `${sampler} walk`).toBe(true);
          for (const [i, j] of res.trace.jumps.entries())
            expect(same(j, ref.trace.jumps[i] as Float32Array)).toBe(true);
          expect(res.acceptance).toBe(ref.acceptance);
          expect(res.nonFinite).toBe(ref.nonFinite);
        }
        await expect(
          walkJumpAsync({ ...opts, steps: 80, checkpoint: join(tmp, `${sampler}-20`), resume: true }),
        ).rejects.toThrow(/resume: steps is 80 but the checkpoint in .* used 60/);
      }
      await expect(walkJumpAsync({ model, checkpoint: join(tmp, 'none'), resume: true })).rejects.toThrow(
        /no checkpoint in/,
      );
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});

/** `main` in this process; emits SIGINT once a JSON progress line reaches `at` steps. */
async function runInterrupting(args: string[], at: number): Promise<Run> {
  const { runHere } = await import('../__tests__/cli-helpers.ts');
  let sent = false;
  return runHere(args, (t) => {
    for (const l of t.split('\n')) {
      if (!sent && l.startsWith('{') && JSON.parse(l).event === 'progress' && JSON.parse(l).step >= at) {
        sent = true;
        setImmediate(() => process.emit('SIGINT'));
      }
    }
  });
}

describe('walkjump sample: Ctrl-C writes a checkpoint, --resume continues', () => {
  it('interrupted + resumed samples.npy and walk.npy equal an uninterrupted run byte for byte', async () => {
    const { runHere } = await import('../__tests__/cli-helpers.ts');
    const run = join(tmp, 'ring');
    const t = await runHere(['train', '--data', 'mixture:ring8', '--steps', '20', '--out', run, '-q']);
    expect(t.code, t.stderr).toBe(0);
    const args = ['sample', '--run', run, '--steps', '3000', '--every', '300', '--chains', '32', '--sampler', 'sachs'];
    const full = await runHere([...args, '-q']);
    expect(full.code, full.stderr).toBe(0);
    const want = ['samples.npy', 'walk.npy'].map((f) => readFileSync(join(run, f)));
    rmSync(join(run, 'samples.npy'));
    const cut = await runInterrupting([...args, '--json'], 600);
    expect(cut.code, cut.stderr).toBe(130);
    const m =
      /interrupted at step (\d+); checkpoint saved in (.*sample-checkpoint) — rerun with --resume to continue/.exec(
        cut.stderr,
      );
    expect(m, cut.stderr).not.toBeNull();
    const step = Number(m?.[1]);
    expect(step).toBeGreaterThanOrEqual(600);
    expect(step).toBeLessThan(3000);
    expect(existsSync(join(run, 'samples.npy')), 'no samples from an interrupted run').toBe(false);
    expect(JSON.parse(readFileSync(join(run, 'sample-checkpoint', 'checkpoint.json'), 'utf8')).step).toBe(step);
    const again = await runHere([...args, '--resume', '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`resumed from step ${step}`);
    const got = ['samples.npy', 'walk.npy'].map((f) => readFileSync(join(run, f)));
    expect(got[0]?.equals(want[0] as Buffer)).toBe(true);
    expect(got[1]?.equals(want[1] as Buffer)).toBe(true);
    expect(existsSync(join(run, 'sample-checkpoint')), 'checkpoint removed after completion').toBe(false);
    const none = await runHere([...args, '--resume', '-q']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(`walkjump: --resume: no sample checkpoint in ${run}`);
  }, 60_000);

  it('a spawned CLI on a real SIGINT: exit 130, checkpoint at the printed step, one line saying how to resume', async () => {
    const { start } = await import('../__tests__/cli-helpers.ts');
    const run = join(tmp, 'ring');
    const { child, done } = start(['sample', '--run', run, '--steps', '20000', '--every', '1000', '--json']);
    let sent = false;
    child.stdout?.on('data', (d: Buffer) => {
      if (!sent && d.toString().includes('"event":"progress"')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.includes('rerun with --resume'))).toHaveLength(1);
    const printed = Number(/interrupted at step (\d+)/.exec(r.stderr)?.[1]);
    expect(printed).toBeGreaterThan(0);
    expect(printed).toBeLessThan(20000);
    expect(JSON.parse(readFileSync(join(run, 'sample-checkpoint', 'checkpoint.json'), 'utf8')).step).toBe(printed);
    expect(r.stdout).toContain('"event":"interrupted"');
  }, 60_000);
});
